/*
 * replay.h - the replay main() shared by the fuzz targets: with
 * -DGR_FUZZ_MAIN a target is a plain program that runs
 * LLVMFuzzerTestOneInput on each file named on its command line (to
 * replay a crash under gdb or valgrind without libFuzzer).  Included
 * once, at the end of a target.
 */
#ifndef GR_TESTS_FUZZ_REPLAY_H
#define GR_TESTS_FUZZ_REPLAY_H
#ifdef GR_FUZZ_MAIN
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        uint8_t *buf;
        long n;
        if (!f) {
            perror(argv[i]);
            return 2;
        }
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc(n > 0 ? (size_t)n : 1);
        if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
            return 2;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t)n);
        free(buf);
    }
    return 0;
}
#endif
#endif
