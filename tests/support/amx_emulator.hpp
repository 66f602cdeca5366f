// A software AMX for testing the amx rung's kernels (src/kernels/gemm_i8_amx.cpp)
// on CPUs without AMX: a SIGILL handler that decodes the faulting
// instruction, executes it on per-thread emulated tile registers and resumes
// after it. The kernels' own machine code runs, with its real addressing,
// strides and tile configuration; only the tile instructions are emulated,
// from the Intel SDM's definitions:
//   LDTILECFG, STTILECFG (palette 0 or 1), TILERELEASE, TILEZERO,
//   TILELOADD, TILELOADDT1, TILESTORED, TDPBSSD, TDPBSUD, TDPBUSD, TDPBUUD.
// A tile instruction before a configuration, a configuration the palette does
// not allow, mismatched tile shapes or any other faulting instruction print
// the reason and abort, as the hardware would fault.
#pragma once

#include <cstdint>

namespace qeff_test {

// Installs the handler (once per process; later calls do nothing); false
// where it cannot work (not x86-64 Linux).
bool install_amx_emulator();

// Tile instructions emulated so far, on every thread.
uint64_t amx_emulated_instructions();

}  // namespace qeff_test
