#!/bin/sh
# placeholder: being written in this session
echo "1..0"
