/* The fair queue (jobs/slots.c) and the client classes (jobs/classes.c):
 * who gets a freed slot, the per-client cap, the queue's bounds, and the
 * classes' settings and their nginx half. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "jobs/classes.h"
#include "jobs/config.h"
#include "jobs/slots.h"
#include "tap.h"

static struct slots S;
static pthread_mutex_t order_lock = PTHREAD_MUTEX_INITIALIZER;
static char order[256];

struct asker {
        pthread_t t;
        char tag[8];                  /* what it writes into order when served */
        struct slot_who who;
        int result;
};

static void *ask(void *p)
{
        struct asker *a = p;
        a->result = slots_acquire(&S, &a->who);
        if (a->result >= 0) {
                pthread_mutex_lock(&order_lock);
                size_t used = strlen(order);
                snprintf(order + used, sizeof(order) - used, "%s ", a->tag);
                pthread_mutex_unlock(&order_lock);
                slots_release(&S, a->result);
        }
        return NULL;
}

static unsigned waiting_now(void)
{
        unsigned busy, total, waiting;
        slots_snapshot(&S, &busy, &total, &waiting);
        return waiting;
}

/* Start askers one by one, each queued before the next comes, so that
 * their order of arrival is the array's. */
static void queue_in_order(struct asker *a, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                unsigned before = waiting_now();
                pthread_create(&a[i].t, NULL, ask, &a[i]);
                for (int k = 0; k < 2000 && waiting_now() == before; k++)
                        usleep(1000);
        }
}

static void join_all(struct asker *a, size_t n)
{
        for (size_t i = 0; i < n; i++)
                pthread_join(a[i].t, NULL);
}

static struct asker asker(const char *tag, const char *client, unsigned weight, unsigned cap)
{
        struct asker a = { .who = { .client = client, .class_index = 0, .max_concurrent = cap, .weight = weight } };
        snprintf(a.tag, sizeof(a.tag), "%s", tag);
        return a;
}

static void test_round(void)
{
        struct slot_who holder = { .client = "x", .max_concurrent = 10, .weight = 1 };
        ok(slots_init(&S, 1, 16, 10) == 0, "one slot, a queue of 16");
        int held = slots_acquire(&S, &holder);
        ok(held == 0, "the holder has the slot");

        /* a's backlog of four, then b's one request */
        struct asker a[5] = {
                asker("A1", "a", 1, 10), asker("A2", "a", 1, 10), asker("A3", "a", 1, 10),
                asker("A4", "a", 1, 10), asker("B1", "b", 1, 10),
        };
        order[0] = 0;
        queue_in_order(a, 5);
        ok(waiting_now() == 5, "five wait");
        slots_release(&S, held);
        join_all(a, 5);
        is_str(order, "A1 B1 A2 A3 A4 ", "b's request waits for one of a's, not for a's backlog");
        ok(S.n_clients == 0 && S.busy == 0 && S.waiting == 0, "nothing left: no client, slot or waiter");
        slots_destroy(&S);
}

static void test_weights(void)
{
        struct slot_who holder = { .client = "x", .max_concurrent = 10, .weight = 1 };
        slots_init(&S, 1, 16, 10);
        int held = slots_acquire(&S, &holder);
        struct asker a[7] = {
                asker("H1", "h", 2, 10), asker("H2", "h", 2, 10), asker("H3", "h", 2, 10), asker("H4", "h", 2, 10),
                asker("L1", "l", 1, 10), asker("L2", "l", 1, 10), asker("L3", "l", 1, 10),
        };
        order[0] = 0;
        queue_in_order(a, 7);
        slots_release(&S, held);
        join_all(a, 7);
        is_str(order, "H1 L1 H2 H3 L2 H4 L3 ", "weight 2 against 1: two turns in a row for h, one for l");
        slots_destroy(&S);
}

static void test_same_name_other_class(void)
{
        /* the same name in two classes is two clients, each with its cap */
        slots_init(&S, 4, 16, 10);
        struct slot_who c0 = { .client = "n", .class_index = 0, .max_concurrent = 1, .weight = 1 };
        struct slot_who c1 = { .client = "n", .class_index = 1, .max_concurrent = 1, .weight = 1 };
        int s0 = slots_acquire(&S, &c0), s1 = slots_acquire(&S, &c1);
        ok(s0 >= 0 && s1 >= 0, "one running in each class");
        unsigned running[CLASS_MAX], waiting[CLASS_MAX];
        slots_by_class(&S, running, waiting);
        ok(running[0] == 1 && running[1] == 1 && waiting[0] == 0, "counted per class");
        slots_release(&S, s0);
        slots_release(&S, s1);
        slots_destroy(&S);
}

static void test_bounds(void)
{
        slots_init(&S, 1, 2, 0.2);
        struct slot_who a = { .client = "a", .max_concurrent = 2, .weight = 1 };
        struct slot_who anon = { .client = NULL, .max_concurrent = 5, .weight = 1 };
        int held = slots_acquire(&S, &a);
        ok(held == 0, "a runs one");
        struct asker w[2] = { asker("a2", "a", 1, 2), asker("b1", "b", 1, 5) };
        order[0] = 0;
        queue_in_order(w, 1);
        ok(slots_acquire(&S, &a) == -EUSERS, "a's third (one running, one waiting, cap 2): -EUSERS at once");
        queue_in_order(w + 1, 1);
        ok(slots_acquire(&S, &anon) == -EBUSY, "the queue of 2 is full: -EBUSY for anyone else");
        unsigned running[CLASS_MAX], waiting[CLASS_MAX];
        slots_by_class(&S, running, waiting);
        ok(running[0] == 1 && waiting[0] == 2, "one running, two waiting");
        join_all(w, 2);
        ok(w[0].result == -ETIMEDOUT && w[1].result == -ETIMEDOUT, "both waits ran out: -ETIMEDOUT");
        ok(S.waiting == 0 && S.n_clients == 1, "the waiters and their clients are gone; a's running one stays");
        ok(slots_acquire(&S, &a) == -ETIMEDOUT, "a may queue again (below its cap once its waiter left)");
        slots_release(&S, held);
        ok(S.n_clients == 0 && S.busy == 0, "released: nothing left");
        /* the cap counts what runs too */
        struct slot_who one = { .client = "o", .max_concurrent = 1, .weight = 1 };
        slots_destroy(&S);
        slots_init(&S, 4, 16, 1);
        int s1 = slots_acquire(&S, &one);
        ok(s1 >= 0 && slots_acquire(&S, &one) == -EUSERS, "cap 1 with free slots: the second is -EUSERS");
        slots_release(&S, s1);
        s1 = slots_acquire(&S, &one);
        ok(s1 >= 0, "after the release it runs again");
        slots_release(&S, s1);
        slots_destroy(&S);
}

static int load_classes(struct config *c, const char *json, struct sb_error *e)
{
        config_defaults(c);
        c->slots = 4;
        int r = config_set(c, "classes", json, e);
        return r < 0 ? r : config_finish(c, e);
}

static void test_classes(void)
{
        struct config c;
        struct sb_error e = { 0 };

        ok(load_classes(&c, "{}", &e) == 0, "no classes: fine");
        const struct client_class *d = classes_find(&c.classes, NULL);
        ok(d && strcmp(d->name, "default") == 0, "\"default\" always exists, and is a nameless client's");
        ok(d && d->max_timeout_s == c.max_timeout_s && d->max_memory_mb == c.max_memory_mb && d->weight == 1,
           "the default class has the service's limits and weight 1");
        ok(d && d->max_concurrent == c.slots + c.queue_max && !d->capped,
           "without client_max_concurrent it has no cap of its own (slots + queue_max)");
        ok(classes_find(&c.classes, "nope") == NULL, "an unknown class is not found");

        ok(load_classes(&c,
                        "{\"student\": {\"max_timeout_s\": 10, \"max_memory_mb\": 256, \"max_concurrent\": 2},"
                        " \"grader\": {\"weight\": 3}}",
                        &e) == 0,
           "two classes");
        const struct client_class *st = classes_find(&c.classes, "student"), *gr = classes_find(&c.classes, "grader");
        ok(st && st->max_timeout_s == 10 && st->max_memory_mb == 256 && st->max_concurrent == 2 && st->capped &&
                   st->weight == 1,
           "student: its own limits, weight 1");
        ok(gr && gr->max_timeout_s == 300 && gr->weight == 3 && !gr->capped, "grader: the service's limits, weight 3");
        ok(classes_index(&c.classes, classes_find(&c.classes, "default")) == 0, "default comes first");

        config_defaults(&c);
        c.slots = 4;
        config_set(&c, "client_max_concurrent", "3", &e);
        config_set(&c, "classes", "{\"x\": {}}", &e);
        ok(config_finish(&c, &e) == 0 && classes_find(&c.classes, NULL)->max_concurrent == 3 &&
                   classes_find(&c.classes, NULL)->capped && classes_find(&c.classes, "x")->max_concurrent == 3,
           "client_max_concurrent caps the default class and classes without their own");
        ok(config_finish(&c, &e) == 0 && classes_find(&c.classes, NULL)->max_concurrent == 3,
           "config_finish twice changes nothing");

        ok(load_classes(&c, "{\"Bad\": {}}", &e) < 0, "upper case name refused: %s", e.msg);
        ok(load_classes(&c, "{\"9x\": {}}", &e) < 0, "name starting with a digit refused");
        ok(load_classes(&c, "{\"a b\": {}}", &e) < 0, "name with a space refused");
        ok(load_classes(&c, "{\"abcdefghijabcdefghijabcdefghijab\": {}}", &e) < 0, "32-byte name refused");
        ok(load_classes(&c, "{\"x\": {\"max_timeout\": 1}}", &e) < 0, "unknown field refused: %s", e.msg);
        ok(load_classes(&c, "{\"x\": {\"max_timeout_s\": 301}}", &e) < 0, "above max_timeout_s refused: %s", e.msg);
        ok(load_classes(&c, "{\"x\": {\"max_memory_mb\": 32}}", &e) < 0, "below min_memory_mb refused");
        ok(load_classes(&c, "{\"x\": {\"max_memory_mb\": 4096}}", &e) < 0, "above max_memory_mb refused");
        ok(load_classes(&c, "{\"x\": {\"max_concurrent\": 0}}", &e) < 0, "max_concurrent 0 refused");
        ok(load_classes(&c, "{\"x\": {\"max_concurrent\": 2.5}}", &e) < 0, "fractional max_concurrent refused");
        ok(load_classes(&c, "{\"x\": {\"weight\": 101}}", &e) < 0, "weight above 100 refused");
        ok(load_classes(&c, "{\"x\": {\"max_timeout_s\": \"5\"}}", &e) < 0, "a string timeout refused");
        ok(load_classes(&c, "{\"x\": 1}", &e) < 0, "a class that is not an object refused");
        ok(load_classes(&c, "[]", &e) < 0, "classes that are not an object refused");
        ok(load_classes(&c, "{\"x\": {}} x", &e) < 0, "trailing text refused");
        char many[2048] = "{";
        for (int i = 0; i < CLASS_MAX; i++)
                snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s\"c%d\": {}", i ? "," : "", i);
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "}");
        ok(load_classes(&c, many, &e) < 0, "%d classes besides default refused: %s", CLASS_MAX, e.msg);

        config_defaults(&c);
        ok(config_load_string(&c, "{\"classes\": {\"s\": {\"max_concurrent\": 4}}, \"slots\": 2}", &e) == 0 &&
                   config_finish(&c, &e) == 0 && classes_find(&c.classes, "s")->max_concurrent == 4,
           "classes in the config file");

        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        classes_write_nginx(&c.classes, f);
        fclose(f);
        ok(strstr(text, "limit_conn sandrun_conn_s 4;") && strstr(text, "zone=sandrun_conn_s:1m"),
           "nginx: a zone and a cap of 4 for class s");
        ok(strstr(text, "\"~^s /(execute|run|invoke|grade)$\"  $sandrun_api_client;") != NULL,
           "nginx: counted by client on the locations that run code");
        ok(!strstr(text, "sandrun_conn_default"), "nginx: no cap for the uncapped default class");
        free(text);
}

int main(void)
{
        test_round();
        test_weights();
        test_same_name_other_class();
        test_bounds();
        test_classes();
        return tap_done();
}
