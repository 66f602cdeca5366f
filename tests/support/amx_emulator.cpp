// The AMX trap emulator (amx_emulator.hpp). x86-64 Linux only.
#include "amx_emulator.hpp"

#if defined(__x86_64__) && defined(__linux__)

#include <signal.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace qeff_test {
namespace {

struct Tiles {
  bool configured = false;
  uint8_t config[64] = {};
  uint16_t colsb[8] = {};
  uint8_t rows[8] = {};
  alignas(64) uint8_t data[8][16][64] = {};
};

thread_local Tiles t_tiles;
std::atomic<uint64_t> g_count{0};

[[noreturn]] void fault(const char *why) {
  const char prefix[] = "amx_emulator: ";
  (void)!write(2, prefix, sizeof prefix - 1);
  (void)!write(2, why, std::strlen(why));
  (void)!write(2, "\n", 1);
  std::abort();
}

// A register by its x86 number (0 rax, 1 rcx, 2 rdx, 3 rbx, 4 rsp, 5 rbp,
// 6 rsi, 7 rdi, 8..15 r8..r15).
uint64_t reg(const ucontext_t *uc, int r) {
  static const int kGregs[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                 REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};
  return static_cast<uint64_t>(uc->uc_mcontext.gregs[kGregs[r]]);
}

// A decoded VEX-encoded instruction of map 0F38 (every AMX instruction).
struct Insn {
  int pp = 0;          // 0 none, 1 66, 2 F3, 3 F2
  int opcode = 0;
  int reg = 0;         // ModRM.reg (with VEX.R)
  int vvvv = 0;
  bool memory = false;
  int rm = 0;          // register operand when !memory
  uint64_t base = 0;   // memory: base + displacement
  uint64_t index = 0;  // memory: index * scale (TILELOADD / TILESTORED: the stride)
  int length = 0;
};

Insn decode(const uint8_t *ip, const ucontext_t *uc) {
  if (ip[0] != 0xc4) fault("not a 3-byte VEX instruction");
  const uint8_t b1 = ip[1], b2 = ip[2];
  if ((b1 & 0x1f) != 2) fault("not a map 0F38 instruction");
  const int r = (b1 & 0x80) ? 0 : 8, x = (b1 & 0x40) ? 0 : 8, b = (b1 & 0x20) ? 0 : 8;
  Insn in;
  in.pp = b2 & 3;
  in.vvvv = (~b2 >> 3) & 15;
  in.opcode = ip[3];
  const uint8_t modrm = ip[4];
  const int mod = modrm >> 6, rm = modrm & 7;
  in.reg = ((modrm >> 3) & 7) | r;
  int len = 5;
  if (mod == 3) {
    in.rm = rm | b;
    in.length = len;
    return in;
  }
  in.memory = true;
  bool rip_relative = false;
  if (rm == 4) {
    const uint8_t sib = ip[len++];
    const int index = ((sib >> 3) & 7) | x, base = (sib & 7) | b;
    if (index != 4) in.index = reg(uc, index) << (sib >> 6);
    if ((sib & 7) == 5 && mod == 0) {
      int32_t d;
      std::memcpy(&d, ip + len, 4);
      len += 4;
      in.base = static_cast<uint64_t>(static_cast<int64_t>(d));
    } else {
      in.base = reg(uc, base);
    }
  } else if (rm == 5 && mod == 0) {
    rip_relative = true;
  } else {
    in.base = reg(uc, rm | b);
  }
  if (mod == 1) {
    in.base += static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(ip[len])));
    len += 1;
  } else if (mod == 2 || rip_relative) {
    int32_t d;
    std::memcpy(&d, ip + len, 4);
    len += 4;
    in.base += static_cast<uint64_t>(static_cast<int64_t>(d));
  }
  if (rip_relative) in.base += reinterpret_cast<uint64_t>(ip) + static_cast<uint64_t>(len);
  in.length = len;
  return in;
}

void load_config(Tiles &t, const uint8_t *cfg) {
  std::memset(t.data, 0, sizeof t.data);
  std::memcpy(t.config, cfg, 64);
  if (cfg[0] == 0) {  // palette 0: the initial state
    t.configured = false;
    std::memset(t.config, 0, 64);
    return;
  }
  if (cfg[0] != 1) fault("LDTILECFG: palette other than 0 and 1");
  if (cfg[1] != 0) fault("LDTILECFG: start_row != 0");
  for (int i = 2; i < 16; ++i)
    if (cfg[i]) fault("LDTILECFG: reserved bytes 2..15 not zero");
  for (int i = 0; i < 8; ++i) {
    std::memcpy(&t.colsb[i], cfg + 16 + 2 * i, 2);
    t.rows[i] = cfg[48 + i];
    if (t.colsb[i] > 64 || t.rows[i] > 16) fault("LDTILECFG: a tile larger than 16 rows x 64 bytes");
    if ((t.colsb[i] == 0) != (t.rows[i] == 0)) fault("LDTILECFG: a tile with rows but no columns (or the reverse)");
  }
  for (int i = 16 + 16; i < 48; ++i)
    if (cfg[i]) fault("LDTILECFG: colsb of tiles 8..15 not zero");
  for (int i = 56; i < 64; ++i)
    if (cfg[i]) fault("LDTILECFG: rows of tiles 8..15 not zero");
  t.configured = true;
}

void check_tile(const Tiles &t, int tile) {
  if (!t.configured) fault("tile instruction without a tile configuration");
  if (tile > 7) fault("tile register above tmm7");
  if (t.rows[tile] == 0) fault("tile instruction on a tile the configuration leaves empty");
}

// tmm[c] += tmm[a] . tmm[b] on bytes of the given signedness.
template <bool SignedA, bool SignedB>
void dot_bytes(Tiles &t, int c, int a, int b) {
  check_tile(t, c);
  check_tile(t, a);
  check_tile(t, b);
  const int m = t.rows[c], n = t.colsb[c] / 4, k = t.colsb[a] / 4;
  if (t.rows[a] != m || t.rows[b] != k || t.colsb[b] != t.colsb[c] || t.colsb[c] % 4 || t.colsb[a] % 4)
    fault("TDPB*D: tile shapes do not match");
  if (c == a || c == b || a == b) fault("TDPB*D: the same tile twice");
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      uint32_t acc;
      std::memcpy(&acc, &t.data[c][i][4 * j], 4);
      for (int q = 0; q < k; ++q)
        for (int s = 0; s < 4; ++s) {
          const uint8_t x = t.data[a][i][4 * q + s], y = t.data[b][q][4 * j + s];
          const int32_t xv = SignedA ? static_cast<int8_t>(x) : x, yv = SignedB ? static_cast<int8_t>(y) : y;
          acc += static_cast<uint32_t>(xv * yv);  // wraps as the hardware's int32 sum does
        }
      std::memcpy(&t.data[c][i][4 * j], &acc, 4);
    }
}

void execute(const Insn &in, Tiles &t) {
  switch (in.opcode) {
    case 0x49:
      if (in.memory && in.pp == 0) return load_config(t, reinterpret_cast<const uint8_t *>(in.base + in.index));
      if (in.memory && in.pp == 1) {  // STTILECFG
        std::memcpy(reinterpret_cast<void *>(in.base + in.index), t.config, 64);
        return;
      }
      if (!in.memory && in.pp == 0 && in.reg == 0 && in.rm == 0) {  // TILERELEASE
        t.configured = false;
        std::memset(t.config, 0, 64);
        std::memset(t.data, 0, sizeof t.data);
        return;
      }
      if (!in.memory && in.pp == 3) {  // TILEZERO
        check_tile(t, in.reg);
        std::memset(t.data[in.reg], 0, sizeof t.data[in.reg]);
        return;
      }
      break;
    case 0x4b:
      if (!in.memory) break;
      check_tile(t, in.reg);
      if (in.pp == 3 || in.pp == 1) {  // TILELOADD, TILELOADDT1
        std::memset(t.data[in.reg], 0, sizeof t.data[in.reg]);
        for (int i = 0; i < t.rows[in.reg]; ++i)
          std::memcpy(t.data[in.reg][i], reinterpret_cast<const void *>(in.base + i * in.index), t.colsb[in.reg]);
        return;
      }
      if (in.pp == 2) {  // TILESTORED
        for (int i = 0; i < t.rows[in.reg]; ++i)
          std::memcpy(reinterpret_cast<void *>(in.base + i * in.index), t.data[in.reg][i], t.colsb[in.reg]);
        return;
      }
      break;
    case 0x5e:
      if (in.memory) break;
      if (in.pp == 3) return dot_bytes<true, true>(t, in.reg, in.rm, in.vvvv);    // TDPBSSD
      if (in.pp == 2) return dot_bytes<true, false>(t, in.reg, in.rm, in.vvvv);   // TDPBSUD
      if (in.pp == 1) return dot_bytes<false, true>(t, in.reg, in.rm, in.vvvv);   // TDPBUSD
      return dot_bytes<false, false>(t, in.reg, in.rm, in.vvvv);                  // TDPBUUD
    default: break;
  }
  fault("an illegal instruction that is not an emulated AMX instruction");
}

void on_sigill(int, siginfo_t *, void *context) {
  auto *uc = static_cast<ucontext_t *>(context);
  const auto *ip = reinterpret_cast<const uint8_t *>(uc->uc_mcontext.gregs[REG_RIP]);
  const Insn in = decode(ip, uc);
  execute(in, t_tiles);
  g_count.fetch_add(1, std::memory_order_relaxed);
  uc->uc_mcontext.gregs[REG_RIP] += in.length;
}

}  // namespace

bool install_amx_emulator() {
  static const bool installed = [] {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = &on_sigill;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGILL, &sa, nullptr) == 0;
  }();
  if (!installed) fault("sigaction(SIGILL) failed");
  return true;
}

uint64_t amx_emulated_instructions() { return g_count.load(std::memory_order_relaxed); }

}  // namespace qeff_test

#else

namespace qeff_test {
bool install_amx_emulator() { return false; }
uint64_t amx_emulated_instructions() { return 0; }
}  // namespace qeff_test

#endif
