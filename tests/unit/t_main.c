/*
 * t_main.c - the CUnit runner for every unit suite.
 *
 * Each tests/unit/t_*.c defines one t_*_register() that adds its suites to
 * the CUnit registry.  The runner prints CUnit's summary and exits non-zero
 * on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <CUnit/Basic.h>
#include "t_util.h"

typedef int (*t_register_fn)(void);

static const t_register_fn t_suites[] = {
    t_util_register,
    t_lr_register,
    t_cf_register,
    t_posix_register,
    t_rand_register,
    t_auth_register,
    t_store_register,
    t_tls_register,
    t_sasl_register,
    t_srv_register,
    t_pop3_register,
    t_smtp_register,
    t_alias_register,
    t_ctl_register,
    t_msg_register,
    t_dsn_register,
    t_prog_register,
    t_smtpc_register,
    t_queue_register,
    t_nmbox_register,
    t_qrun_register,
    t_dns_register,
    NULL
};

int main(void)
{
    int i;
    unsigned int failed;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return EXIT_FAILURE;
    for (i = 0; t_suites[i] != NULL; i++) {
        if (t_suites[i]() != 0) {
            fprintf(stderr, "t_main: suite registration %d failed\n", i);
            CU_cleanup_registry();
            return EXIT_FAILURE;
        }
    }
    CU_basic_set_mode(CU_BRM_NORMAL);
    CU_basic_run_tests();
    failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
    printf("\n%u passed, %u failed\n",
           CU_get_number_of_tests_run() - CU_get_number_of_tests_failed(),
           CU_get_number_of_tests_failed());
    CU_cleanup_registry();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
