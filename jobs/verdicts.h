/* /grade's verdicts, named once: answers, metrics and the log take their
 * words from here. */
#pragma once

/* Verdicts, one vocabulary for answers, metrics and the log. */
#define GRADE_VERDICTS(X) \
        X(V_ACCEPTED, "accepted") \
        X(V_WRONG, "wrong_answer") \
        X(V_TIME, "time_limit_exceeded") \
        X(V_MEMORY, "memory_limit_exceeded") \
        X(V_RUNTIME, "runtime_error") \
        X(V_OUTPUT, "output_limit_exceeded") \
        X(V_KILLED, "killed") \
        X(V_SKIPPED, "skipped")

enum verdict {
#define GRADE_VERDICT_ENUM_(id, word) id,
        GRADE_VERDICTS(GRADE_VERDICT_ENUM_)
#undef GRADE_VERDICT_ENUM_
        N_VERDICTS
};

const char *verdict_name(enum verdict v);
