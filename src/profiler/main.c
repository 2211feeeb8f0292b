/*
 * main.c - the grprof program: everything lives in libgrprof (commands.c
 * holds grprof_main) so the tests link the same code.
 */
#include "config.h"
#include "profiler/cli.h"

int main(int argc, char **argv)
{
    return grprof_main(argc, argv);
}
