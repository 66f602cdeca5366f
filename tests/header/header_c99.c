/* Compiled with -std=c99 -Wall -Wextra -pedantic -Werror: the header alone. */
#include "qeff/qeff.h"

int main(void) {
  /* Reference every type so an unused or malformed declaration shows up. */
  qeff_status s = QEFF_OK;
  qeff_dtype d = QEFF_DTYPE_F32;
  qeff_task t = QEFF_TASK_CAUSAL_LM;
  qeff_log_level l = QEFF_LOG_WARN;
  qeff_option_type o = QEFF_OPTION_INT_LIST;
  qeff_model *m = (qeff_model *)0;
  qeff_options *op = (qeff_options *)0;
  qeff_program *p = (qeff_program *)0;
  qeff_request *r = (qeff_request *)0;
  qeff_result *res = (qeff_result *)0;
  qeff_log_fn fn = (qeff_log_fn)0;
  (void)m; (void)op; (void)p; (void)r; (void)res; (void)fn;
  return ((int)s + (int)d + (int)t + (int)l + (int)o == 1 + 2 + 1 + 4 && QEFF_VERSION_NUMBER > 0) ? 0 : 1;
}
