/*
 * report.h - grprof's reports of a finished run: the console table
 * (grouped by benchmark group, durations scaled, key ratios highlighted;
 * colour only when asked for) and the Markdown baseline report (key
 * figures against the original system's, the fusion table, algorithms by
 * mode and size with ratios, machine and commit).
 *
 * Both read only the gr_run (the run file's content), so any run file can
 * be reported the same way.
 */
#ifndef GR_PROFILER_REPORT_H
#define GR_PROFILER_REPORT_H

#include <stdio.h>

#include "common/runfile.h"

/* Print the console report of r on fp; `notes` (may be NULL or "") lists
 * what was left out and why; color != 0 uses ANSI colours. */
void gr_report_console(FILE *fp, const gr_run *r, const char *notes, int color);

/* Write the Markdown baseline report of r to fp. */
void gr_report_markdown(FILE *fp, const gr_run *r, const char *notes);

/* Whether to colour output on fp: a terminal and NO_COLOR unset or empty. */
int gr_report_use_color(FILE *fp);

#endif
