/*
 * check_clock.c - the profiler's probes (profiler/clock.h): the run delay
 * between two snapshots never goes backwards when threads end between
 * them, and counts the threads that live through both.
 */
#include "config.h"
#include "profiler/clock.h"
#include "testutil.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>

#define SPINNERS 6

static volatile int stop_spin;

/* Runnable until told to stop: with more of these than CPUs, each waits
 * for a CPU part of the time, which the kernel counts as its run delay. */
static void *spin(void *arg)
{
    (void)arg;
    while (!stop_spin) {
    }
    return NULL;
}

static void busy_ms(double ms)
{
    uint64_t t0 = gr_clock_ns();
    while (gr_clock_since_ns(t0) < ms * 1e6) {
    }
}

static int64_t delay_of(const gr_run_delay *s, int64_t tid)
{
    int i;
    for (i = 0; i < s->n; i++) {
        if (s->tid[i] == tid) {
            return s->ns[i];
        }
    }
    return -1;
}

START_TEST(test_between_pure)
{
    /* by thread id: kept (+5), ended (left out), started (all of its 7) */
    static gr_run_delay a, b, none;
    a.n = 2;
    a.tid[0] = 10;
    a.ns[0] = 100;
    a.tid[1] = 11;
    a.ns[1] = 1000000;
    b.n = 2;
    b.tid[0] = 12;
    b.ns[0] = 7;
    b.tid[1] = 10;
    b.ns[1] = 105;
    ck_assert_int_eq(gr_clock_run_delay_between(&a, &b), 12);
    /* a reused id with a lower delay is a new thread */
    b.ns[1] = 40;
    ck_assert_int_eq(gr_clock_run_delay_between(&a, &b), 47);
    none.n = -1;
    ck_assert_int_eq(gr_clock_run_delay_between(&none, &b), -1);
    ck_assert_int_eq(gr_clock_run_delay_between(&a, &none), -1);
}
END_TEST

START_TEST(test_threads_end_between)
{
    static gr_run_delay a, b;
    pthread_t th[SPINNERS];
    int i;
    int64_t d;
    gr_clock_run_delay(&a);
    if (a.n < 0) {
        printf("# skipped: this kernel reports no schedstat\n");
        return;
    }
    stop_spin = 0;
    for (i = 0; i < SPINNERS; i++) {
        ck_assert_int_eq(pthread_create(&th[i], NULL, spin, NULL), 0);
    }
    busy_ms(60);
    gr_clock_run_delay(&a);    /* the spinners alive, with their delay */
    ck_assert_int_ge(a.n, 2);
    stop_spin = 1;
    for (i = 0; i < SPINNERS; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    }
    busy_ms(5);
    gr_clock_run_delay(&b);    /* they are gone */
    d = gr_clock_run_delay_between(&a, &b);
    ck_assert_int_ge(d, 0);
    /* only the threads alive at b count, each with what it gained */
    for (i = 0; i < b.n; i++) {
        int64_t before = delay_of(&a, b.tid[i]);
        ck_assert_int_ge(before, 0);
        ck_assert_int_ge(b.ns[i], before);
        d -= b.ns[i] - before;
    }
    ck_assert_int_eq(d, 0);
}
END_TEST

static Suite *clock_suite(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_between_pure);
    tcase_add_test(tc, test_threads_end_between);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(clock_suite());
}
