// Compiled as C++11 with -Wall -Wextra -pedantic -Werror: the header alone.
#include "qeff/qeff.h"

int main() {
  qeff_status s = QEFF_OK;
  qeff_model *m = nullptr;
  qeff_options *o = nullptr;
  (void)m;
  (void)o;
  return static_cast<int>(s);
}
