/*
 * main.c - the grregress program: everything lives in libgrregress
 * (commands.c holds grregress_main) so the tests link the same code.
 */
#include "config.h"
#include "regress/regress.h"

int main(int argc, char **argv)
{
    return grregress_main(argc, argv);
}
