/*
 * plan_internal.h - the inside of a gr_plan (see plan.h for the design):
 * slots, instructions, loops, fused kernels and aggregations, and the run
 * state the interpreter keeps.  Private to src/engine/exec/: lower.c
 * builds a plan, vm.c runs it, fused_eval.c evaluates its fused kernels and
 * aggregations, plan_print.c prints it.  Tests include it to inspect and
 * corrupt plans (gr_plan_copy).
 *
 * A plan owns every array here and copies every string it keeps, so it
 * does not depend on the program it was lowered from.
 */
#ifndef GR_EXEC_PLAN_INTERNAL_H
#define GR_EXEC_PLAN_INTERNAL_H

#include "engine/exec/plan.h"

/* ---- slots ---------------------------------------------------------------- */

/* A storage place of the plan.  Several IR values may share a slot (a loop's
 * carried value, its result and, when it dies there, its initial value). */
typedef struct gr_pslot {
    gr_type type;            /* the values' type */
    int32_t reg;             /* vector: its register; scalar: -1 (scalars live in the
                                run's scalar array at the slot's own index) */
    gr_vid vid;              /* the first IR value held, -1 for a plan temporary */
    char *name;              /* "%14.rank", "%t3" (owned) */
} gr_pslot;

/* ---- instructions ------------------------------------------------------------- */

/* One instruction.  Operands are slots; what does not fit (loops, kernels,
 * aggregations) is in the plan's side tables, named by aux. */
typedef struct gr_pinst {
    uint8_t op;              /* gr_pop */
    uint8_t scalar;          /* EW, SOURCE: the result is a scalar */
    uint8_t cek;             /* EW: the kind the op computes in (gr_k_ew_compute) */
    uint8_t nargs;           /* operands in a[] */
    uint8_t tk[3];           /* EW: the operands' type kinds (gr_k_kind: bools are u8) */
    uint8_t ok;              /* EW: the result's type kind */
    uint16_t irop;           /* the gr_opcode (EW, SOURCE, REDUCE, GATHER, SCATTER, PRINT) */
    int32_t dst;             /* the slot written, -1 for none */
    int32_t a[3];            /* operand slots (a scalar EW's absent operands name the
                                always-zero scalar at index nslots) */
    int32_t aux;             /* PARAM: parameter; LOOP_*: loop; AGG, AGG_FUSED: aggregation;
                                FUSED: kernel; LINK: per operand j, bit GR_LINK_NBR << j
                                (a[j] is out_nbr's k slot) or GR_LINK_AGG << j (a[j] is
                                an aggregation the link computes) */
    int32_t jump;            /* LOOP_HEAD: the exit; LOOP_NEXT: the head */
    gr_kscalar imm;          /* CONST: the value (bools 0/1 in i) */
} gr_pinst;

/* LINK operand kinds in aux (shifted by the operand's index). */
enum {
    GR_LINK_NBR = 1,         /* out_nbr(k), read from the rows: a[j] is k's scalar slot */
    GR_LINK_AGG = 8          /* an aggregation computed by the link: a[j] is its index */
};

/* How LOOP_NEXT hands a carried vector over. */
enum {
    GR_CARRY_SAME = 0,       /* the body yields the carried value itself */
    GR_CARRY_SWAP = 1        /* swap the carried and the yielded registers' buffers */
};

typedef struct gr_ploop {
    uint8_t kind;            /* gr_loop_kind */
    int32_t max;             /* i64 scalar slot */
    int32_t tol;             /* f64 scalar slot, -1 unless converged */
    int32_t ncarry;
    int32_t *inner;          /* [ncarry] carried slots (also the results) */
    int32_t *next;           /* [ncarry] slots of the yielded values (after the COPYs
                                the lowering puts before LOOP_NEXT for values that
                                cannot be swapped) */
    uint8_t *carry;          /* [ncarry] vectors: GR_CARRY_*; scalars: unused */
    int32_t *shadow;         /* [ncarry] scalars: scalar slots used to hand all
                                carried scalars over at once */
    int32_t test;            /* watched carried value, -1 for repeat */
    int32_t test_next;       /* the slot of its yielded value (before any COPY) */
    int32_t expl;            /* slot of the body's explicit test value, -1 */
    int32_t head;            /* instruction of LOOP_HEAD */
    int32_t exit;            /* first instruction after the loop */
    gr_vid vid;              /* the IR loop's first result (printout), -1 */
} gr_ploop;

/* ---- fused kernels ------------------------------------------------------------- */

/* Where a lane's elements come from (a body's constants are scalar slots
 * the prelude sets, read as GR_LK_IN). */
enum {
    GR_LK_IN = 0,            /* a slot: a vector read in place (gathered at the
                                neighbour in an edge kernel), a scalar broadcast */
    GR_LK_TMP,               /* computed by an op of the kernel */
    GR_LK_AGG,               /* the aggregation the kernel is the epilogue of */
    GR_LK_W,                 /* edge kernels: the edge's weight (1.0 when unweighted) */
    GR_LK_INDEX,             /* node kernels: the node's dense index (node_index()),
                                made per block instead of read from a vector */
    GR_LK_ID                 /* node kernels: the node's original id (node_id()): the
                                graph's orig_id read in place, or the index */
};

typedef struct gr_plane {
    uint8_t kind;            /* GR_LK_* */
    uint8_t ek;              /* element kind */
    int32_t slot;            /* GR_LK_IN: the slot; GR_LK_TMP: the vector slot of a map
                                output it is computed straight into, or -1; GR_LK_AGG:
                                the aggregation's result slot, -1 when it has none;
                                otherwise -1 */
    gr_vid vid;              /* the IR value (printout), -1 */
} gr_plane;

/* One element-wise op over lanes. */
typedef struct gr_plop {
    uint16_t irop;           /* element-wise gr_opcode */
    uint8_t cek;             /* compute kind */
    uint8_t oek;             /* result kind (= the out lane's) */
    uint8_t nargs;
    int16_t a[3];            /* operand lanes */
    int16_t out;             /* result lane */
} gr_plop;

/* One output of a kernel: a map into a vector slot or a fold into a scalar. */
typedef struct gr_pout {
    int16_t lane;            /* the lane yielded */
    uint8_t fold;            /* gr_fold */
    uint8_t ek;              /* the result's kind */
    int32_t slot;            /* where it goes (-1: an edge kernel's message) */
    int32_t part;            /* folds: index among the kernel's folds */
    gr_kscalar rest;         /* folds of a sparse kernel: the lane's value at every node
                                the kernel skips; maps of a GR_SPARSE_MASK kernel with
                                skip GR_SKIP_FILL: the value stored there */
    uint8_t skip;            /* maps of a GR_SPARSE_MASK kernel: how the register gets its
                                value at the skipped nodes (GR_SKIP_*) */
    int16_t skipsrc;         /* GR_SKIP_COPY / GR_SKIP_CANON: the vector input lane whose
                                register is copied */
} gr_pout;

/* How a GR_SPARSE_MASK kernel's map output holds the right value at the
 * nodes the kernel skips: its register already does (the input read in
 * place is the output's register), or, before the kernel runs on the listed
 * nodes, its register is filled with a constant or copied from an input's
 * register (with NaNs made the canonical NaN, as gr_fmin / gr_fmax make
 * them). */
enum { GR_SKIP_KEEP = 0, GR_SKIP_FILL, GR_SKIP_COPY, GR_SKIP_CANON };

/* What a sparse epilogue is (gr_pker.sparse). */
enum {
    GR_SPARSE_NO = 0,
    GR_SPARSE_PUSH,          /* of an any the push lists: it runs on the listed receivers */
    GR_SPARSE_MASK           /* of an aggregation masked by a listed mask: aggregation and
                                epilogue run on the mask's listed nodes */
};

typedef struct gr_pker {
    int32_t nlanes;
    gr_plane *lanes;         /* [nlanes] */
    int32_t nops;
    gr_plop *ops;            /* [nops], in order */
    int32_t nout;
    gr_pout *out;            /* [nout] */
    int32_t nfolds;          /* outputs that are folds */
    int32_t agg;             /* epilogue: the aggregation whose result GR_LK_AGG lanes read,
                                -1 */
    uint8_t sparse;          /* GR_SPARSE_PUSH: epilogue of an aggregation
                                gr_k_agg_push_list can push: it may run on the receivers
                                the push lists alone, since at every other node (the
                                aggregation false) each map output equals what its
                                register holds and each fold's lane is a constant, its
                                rest.  GR_SPARSE_MASK: epilogue of an aggregation masked
                                by a mask that may have a list: at every unlisted node (the
                                aggregation its empty value) each map output is a constant
                                or an input's element (skip) and each fold's lane a
                                constant.  sparse_epilogue.c proves it. */
} gr_pker;

/* An aggregation: an AGG, or an AGG_FUSED (its message's node part
 * computed by a message kernel into a temporary x, or, for messages that
 * use the weight otherwise than w, x + w, x * w, each edge's message by an
 * edge kernel), optionally with the FUSED epilogue that follows it. */
typedef struct gr_pagg {
    uint8_t dir, mon, msg, self; /* gr_dir, gr_monoid, gr_msg, self */
    uint8_t xek;             /* kind of x */
    uint8_t oek;             /* kind of the result */
    int32_t x;               /* vector slot aggregated */
    int32_t mask;            /* receivers' mask slot, -1 */
    int32_t maskker;         /* kernel computing the receivers' mask instead (its one
                                output, into no slot: lane by lane in a pull, at the
                                listed receivers after a listed push), -1 */
    int32_t conv;            /* f64 scratch vector slot for x, -1 */
    int32_t msgker;          /* AGG_FUSED: kernel that computes x first, -1 */
    int32_t edgeker;         /* AGG_FUSED: kernel that computes each edge's message from
                                its inputs gathered at the neighbour (its one output, into
                                no slot), -1; x is -1 then */
    int32_t epi;             /* epilogue kernel, -1 */
    int32_t out;             /* slot of the result, -1 when only the epilogue reads it */
    int32_t tmp;             /* vector scratch slot holding the result for a pushed
                                aggregation whose result has no slot, -1 */
    int32_t mode;            /* needs mode tables */
} gr_pagg;

/* Whether a push of aggregation A can list the receivers it sets
 * (gr_k_agg_push_list): any of plain x messages into a mask, no self, no
 * edge kernel.  Its result register keeps a node list (vm.c) and its
 * epilogue may run on the listed receivers (GR_SPARSE_PUSH). */
static inline int gr_pagg_listable(const gr_pagg *A)
{
    return A->edgeker < 0 && A->mon == GR_MON_ANY && !A->self && A->oek == GR_EK_U8 &&
           A->msg == GR_MSG_X;
}

/* ---- the plan -------------------------------------------------------------------- */

/* The node-sized buffers of a finished run, which its plan keeps for the
 * next run on a graph of as many nodes (vm.c): fresh buffers cost their
 * page faults on first touch, about 2.5 ms (9%) of a fused BFS on R-MAT
 * scale 20.  Any entry may be NULL (a result took the register's buffer,
 * the plan needs no such buffer). */
typedef struct gr_pspare {
    size_t n;                /* the run's nodes */
    void **R;                /* [nregs] register buffers */
    uint32_t **lst;          /* [nregs] node lists, or NULL */
    uint8_t *mbuf;
    uint64_t *bits;
    uint32_t *mlab;
    uint8_t *loops;
    gr_kscalar *part;
} gr_pspare;

struct gr_plan {
    char *name;              /* the program's name (owned) */
    int32_t ninst;
    gr_pinst *inst;          /* [ninst] */
    int32_t nslots;
    gr_pslot *slots;         /* [nslots] */
    int32_t nscalars;        /* size of the scalar array (= nslots) */
    int32_t nregs;           /* vector registers */
    int32_t nvecvals;        /* vector values of the program (registers are fewer) */
    int32_t nloops;
    gr_ploop *loops;
    int32_t nkers;
    gr_pker *kers;
    int32_t naggs;
    gr_pagg *aggs;
    int32_t nret;
    int32_t *ret;            /* [nret] returned slots */
    char **ret_names;        /* [nret] their names (owned) */
    int32_t nparams;
    gr_type *ptype;          /* [nparams] parameter types */
    double *pf;              /* [nparams] defaults (f64) */
    int64_t *pi;             /* [nparams] defaults (i64, bools 0/1) */
    int32_t max_lanes;       /* most lanes of a kernel */
    int32_t max_folds;       /* most folds of a kernel */
    int32_t nedge;           /* aggregations with an edge kernel */
    gr_pspare *spare;        /* the last run's buffers (owned), or NULL: taken and put
                                back by atomic exchange, so runs of one plan on several
                                threads at once each get a whole set or none */
};

/* ---- running ------------------------------------------------------------------------ */

/* The state of one gr_plan_run. */
typedef struct gr_prun {
    const gr_plan *plan;
    const gr_graph *g;
    size_t n;                /* nodes */
    int nt;                  /* threads */
    gr_kpol pol;             /* {nt} */
    gr_kscalar *S;           /* [nscalars + 1] scalar values, by slot; the last is
                                always zero */
    void **R;                /* [nregs] register buffers (n 8-byte elements each) */
    int64_t *lcount;         /* [nloops] iteration counters */
    int64_t *lmax;           /* [nloops] max_iter, read at LOOP_INIT */
    double *ltol;            /* [nloops] tol */
    char *lanes;             /* nt * 2 * max_lanes lane registers of GR_LANE 8-byte elements
                                (per thread: a node kernel's, then an edge kernel's) */
    void **lptr;             /* nt * 2 * max_lanes lane pointers */
    gr_kmsgs *kmsgs;         /* [nt] edge-message buffers, when the plan has edge kernels */
    void *ectx;              /* [nt] their contexts (fused_eval.c) */
    char *ebuf;              /* the buffers' storage */
    gr_kscalar *part;        /* fold partials: max_folds per GR_K_RED_BLOCK block */
    int64_t *mkey;           /* mode tables: nt * mcap */
    uint32_t *mcnt;
    size_t mcap;
    uint32_t *mlab;          /* mode: n narrowed labels (gr_k_agg_narrow), with the tables */
    uint8_t *loops;          /* mode: n self-loop flags (gr_graph_self_loops), with the
                                tables; filled by the first mode over both directions */
    int loops_set;           /* loops is filled for g */
    int64_t mbase;           /* mode: the base of the last narrowing (gr_k_agg_narrow) */
    int mbase_set;           /* mbase is set */
    uint64_t *bits;          /* (n + 63) / 64 words for a pulled bool x (gr_k_agg_pack),
                                when the plan aggregates a mask */
    uint32_t **lst;          /* [nregs] n node indices for each register that receives a
                                listed push (gr_k_agg_push_list) or is swapped with one, else
                                NULL; the array is NULL when no register has one */
    uint8_t *mbuf;           /* n bytes for a mask kernel's mask computed over every node
                                (before a push too large to mask its receivers one by
                                one), when the plan has mask kernels */
    int64_t *nnz;            /* [nregs] >= 0: the register's mask is false except at the
                                nnz nodes its lst lists (each once); -1: not known.  Swapped
                                with the buffers; any other write makes it -1 */
    int debug;
    uint8_t *written;        /* debug: [nslots] slot written */
    int32_t *owner;          /* debug: [nregs] slot whose value the register holds, -1 */
    gr_error *err;
} gr_prun;

/* A vector slot's buffer. */
static inline void *gr_prun_vec(const gr_prun *r, int32_t slot)
{
    return r->R[r->plan->slots[slot].reg];
}

/* ---- functions ------------------------------------------------------------------------ */

/* fused_eval.c: run kernel K over every node (maps into their slots, folds
 * into their scalar slots), block by block.  GR_OK (kernels cannot fail). */
int gr_fused_run(gr_prun *r, const gr_pker *K);

/* fused_eval.c: run aggregation A (its message kernel, the aggregation,
 * and its epilogue in the same pass when it has one).  GR_OK or an error
 * from the aggregation kernel's setup. */
int gr_fused_agg(gr_prun *r, const gr_pagg *A);
/* J prepared for aggregation A over this run's registers (its x, mask and
 * conversion buffer), as gr_fused_agg prepares it; GR_OK or an error in
 * r->err.  Link operands that are aggregations are computed with it. */
int gr_fused_agg_job(gr_prun *r, const gr_pagg *A, gr_kagg *J);

/* The representation kind of a slot type in the scalar array: f64 for
 * f64, i64 for i64 and bool (0/1). */
static inline gr_ek gr_plan_rep(gr_type t) { return t == GR_T_F64 ? GR_EK_F64 : GR_EK_I64; }

/* sparse_epilogue.c: mark each epilogue of a listed push (any into a
 * mask, gr_k_agg_push_list) that may run on the listed receivers alone, and
 * each epilogue of an aggregation masked by a mask that may be listed that
 * may run, with its aggregation, on the listed nodes alone (gr_pker.sparse,
 * its folds' rest values, its maps' skip), once the plan's registers are
 * assigned.  GR_OK or GR_ERR_NOMEM. */
int gr_plan_sparse_epilogues(gr_plan *pl, gr_error *err);

/* lower.c: a deep copy of plan (for tests that corrupt one).  GR_OK or
 * GR_ERR_NOMEM; *out is freed with gr_plan_free. */
int gr_plan_copy(const gr_plan *plan, gr_plan **out, gr_error *err);

/* vm.c: the name of a plan op ("ew", "loop_head", ...). */
const char *gr_pop_name(int op);

#endif
