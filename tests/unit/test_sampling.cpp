// Unit tests: next-token sampling (src/generation/sampler.hpp: validation, the
// portable random stream, greedy, penalties, temperature / top-k / top-p /
// min-p against an HF-literal reference, timing printout) and stop strings
// over streamed text (src/generation/stop_strings.hpp, randomized splits).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <numeric>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <time.h>

#include "common/utf8.hpp"
#include "generation/sampler.hpp"
#include "generation/stop_strings.hpp"
#include "unit_test.hpp"

namespace {

using qeff::generation::Rng;
using qeff::generation::Sampler;
using qeff::generation::SamplingParams;
using qeff::generation::StopStrings;
constexpr float kInf = std::numeric_limits<float>::infinity();

SamplingParams sampling(double t = 1.0, int64_t k = 0, double p = 1.0, double min_p = 0.0, uint64_t seed = 7) {
  SamplingParams s;
  s.do_sample = true;
  s.temperature = t, s.top_k = k, s.top_p = p, s.min_p = min_p, s.seed = seed;
  return s;
}

int32_t next(Sampler &s, std::vector<float> logits, std::vector<int32_t> prompt = {},
             std::vector<int32_t> gen = {}) {
  return s.next(logits.data(), static_cast<int64_t>(logits.size()), prompt, gen);
}

std::vector<int32_t> sequence(const SamplingParams &p, uint64_t row, const std::vector<float> &logits, int n) {
  Sampler s(p, row);
  std::vector<int32_t> out;
  for (int i = 0; i < n; ++i) out.push_back(next(s, logits));
  return out;
}

// Gaussian logits (sd 2) with a few strong tokens, like a language model's.
std::vector<float> lm_logits(int64_t vocab, uint64_t seed) {
  Rng r(seed);
  std::vector<float> x(static_cast<size_t>(vocab));
  for (float &v : x) {
    const double u1 = 1.0 - r.next_double(), u2 = r.next_double();
    v = static_cast<float>(2.0 * std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }
  for (int i = 0; i < 8; ++i) x[r.next_u64() % x.size()] += 8.0f + static_cast<float>(i);
  return x;
}

// HF 4.47, written literally: temperature, top-k (scores < k-th value removed),
// top-p (ascending sort, cumulative softmax <= 1 - p removed, last kept),
// min-p (prob < min_p * max removed), softmax.
std::vector<double> hf_probs(std::vector<float> x, const SamplingParams &p) {
  const size_t n = x.size();
  auto softmax = [&](const std::vector<float> &s) {
    std::vector<double> e(n);
    const double m = *std::max_element(s.begin(), s.end());
    for (size_t i = 0; i < n; ++i) e[i] = std::exp(double(s[i]) - m);
    const double z = std::accumulate(e.begin(), e.end(), 0.0);
    for (double &v : e) v /= z;
    return e;
  };
  for (float &v : x) v = v / static_cast<float>(p.temperature);
  if (p.top_k > 0) {
    std::vector<float> sorted = x;
    std::sort(sorted.rbegin(), sorted.rend());
    const float kth = sorted[std::min<size_t>(n, static_cast<size_t>(p.top_k)) - 1];
    for (float &v : x) v = v < kth ? -kInf : v;
  }
  if (p.top_p < 1) {
    std::vector<size_t> idx(n);
    std::iota(idx.begin(), idx.end(), size_t{0});
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
    const std::vector<double> pr = softmax(x);
    double cum = 0;
    std::vector<bool> remove(n, false);
    for (size_t r = 0; r < n; ++r) remove[idx[r]] = (cum += pr[idx[r]]) <= 1 - p.top_p && r + 1 < n;
    for (size_t i = 0; i < n; ++i)
      if (remove[i]) x[i] = -kInf;
  }
  if (p.min_p > 0) {
    const std::vector<double> pr = softmax(x);
    const double top = *std::max_element(pr.begin(), pr.end());
    for (size_t i = 0; i < n; ++i)
      if (pr[i] < p.min_p * top) x[i] = -kInf;
  }
  return softmax(x);
}

void expect_distribution(const std::vector<float> &logits, const SamplingParams &p, int draws = 20000) {
  std::vector<float> clean = logits;  // NaN counts as -inf
  for (float &v : clean) v = std::isnan(v) ? -kInf : v;
  const std::vector<double> want = hf_probs(clean, p);
  std::vector<int> count(logits.size(), 0);
  Sampler s(p, 0);
  for (int i = 0; i < draws; ++i) ++count[static_cast<size_t>(next(s, logits))];
  for (size_t i = 0; i < logits.size(); ++i) {
    const double q = want[i], f = double(count[i]) / draws;
    if (q == 0) EXPECT_EQ(count[i], 0) << "token " << i << " must be excluded";
    else EXPECT_NEAR(f, q, 5 * std::sqrt(q * (1 - q) / draws) + 1e-12) << "token " << i;
  }
}

const std::vector<float> kSix = {1.0f, 2.0f, 0.5f, 3.0f, -1.0f, 2.5f};

TEST(SamplerRng, GoldenValues) {
  // Independent Python model of splitmix64-seeded xoshiro256** with jump().
  Rng a(0), b(42), c(42, 1), d(42, 3), e(42);
  e.jump();
  for (uint64_t want : {0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL}) EXPECT_EQ(a.next_u64(), want);
  for (uint64_t want : {0x15780b2e0c2ec716ULL, 0x6104d9866d113a7eULL}) EXPECT_EQ(b.next_u64(), want);
  EXPECT_EQ(c.next_u64(), 0x50086ef83cbf4f4aULL);
  EXPECT_EQ(d.next_u64(), 0x057ea7493b2592a3ULL);
  EXPECT_EQ(e.next_u64(), 0x50086ef83cbf4f4aULL);  // stream 1 == one jump
  for (int i = 0; i < 1000; ++i) ASSERT_LT(a.next_double(), 1.0);
}

TEST(SamplingValidate, Errors) {
  EXPECT_NO_THROW(qeff::generation::validate(SamplingParams{}));
  SamplingParams greedy_t0;
  greedy_t0.temperature = 0;  // greedy configs often say temperature 0
  EXPECT_NO_THROW(qeff::generation::validate(greedy_t0));
  struct Bad { void (*edit)(SamplingParams &); const char *key, *value, *range; };
  const Bad cases[] = {
      {[](SamplingParams &p) { p.temperature = 0; }, "generate.temperature", "= 0", "> 0"},
      {[](SamplingParams &p) { p.temperature = NAN; }, "generate.temperature", "= nan", "finite"},
      {[](SamplingParams &p) { p.top_k = -1; }, "generate.top_k", "= -1", ">= 0"},
      {[](SamplingParams &p) { p.top_p = 0; }, "generate.top_p", "= 0", "(0, 1]"},
      {[](SamplingParams &p) { p.top_p = 1.5; }, "generate.top_p", "= 1.5", "(0, 1]"},
      {[](SamplingParams &p) { p.min_p = -0.1; }, "generate.min_p", "= -0.1", "[0, 1]"},
      {[](SamplingParams &p) { p.repetition_penalty = 0; }, "generate.repetition_penalty", "= 0", "> 0"},
      {[](SamplingParams &p) { p.presence_penalty = 2.5; }, "generate.presence_penalty", "= 2.5", "[-2, 2]"},
      {[](SamplingParams &p) { p.frequency_penalty = -3; }, "generate.frequency_penalty", "= -3", "[-2, 2]"}};
  for (const Bad &c : cases) {
    SamplingParams p = sampling();
    c.edit(p);
    EXPECT_QEFF_ERROR(qeff::generation::validate(p), QEFF_E_INVALID_ARGUMENT, c.key, c.value, c.range);
  }
  SamplingParams p = sampling();
  p.top_p = 0;
  EXPECT_QEFF_ERROR(Sampler(p, 0), QEFF_E_INVALID_ARGUMENT, "generate.top_p");
}

TEST(SamplerGreedy, ArgmaxTiesNanAndWarpersIgnored) {
  SamplingParams p;
  p.temperature = 0.1, p.top_k = 1, p.top_p = 0.1, p.min_p = 0.9;  // ignored when greedy
  Sampler s(p, 0);
  EXPECT_EQ(next(s, {0.f, 3.f, 1.f, 3.f}), 1);  // ties: lowest id, as torch.argmax
  EXPECT_EQ(next(s, {NAN, -1.f, NAN, -0.5f}), 3);
  EXPECT_EQ(next(s, {1.f, kInf, kInf}), 1);
  EXPECT_EQ(next(s, {-kInf, -kInf, 2.f}), 2);
  EXPECT_QEFF_ERROR(next(s, {NAN, -kInf}), QEFF_E_NUMERIC, "row 0", "all 2 logits");
  Sampler r3(sampling(), 3);
  EXPECT_QEFF_ERROR(next(r3, {-kInf, NAN, -kInf}), QEFF_E_NUMERIC, "row 3", "-inf or NaN");
  std::vector<float> empty;
  EXPECT_QEFF_ERROR(s.next(empty.data(), 0, {}, {}), QEFF_E_INVALID_ARGUMENT, "vocab = 0");
}

// The greedy pick over vocabularies across the chunk edges (256 logits): the
// first maximum, NaN read as -inf and written back as -inf, against the
// one-pass definition.
TEST(SamplerGreedy, FirstMaximumAcrossChunks) {
  std::mt19937 rng(7);
  for (int64_t n : {1, 2, 255, 256, 257, 511, 512, 513, 1000, 32000}) {
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<float> x(static_cast<size_t>(n));
      // Few distinct values, so that maxima repeat within and across chunks.
      for (float &v : x) v = static_cast<float>(static_cast<int>(rng() % 7) - 3);
      for (int k = 0; k < 3; ++k) x[rng() % n] = NAN;
      if (trial % 4 == 1) x[rng() % n] = kInf;
      if (trial % 4 == 2) std::fill(x.begin(), x.end(), -kInf), x[n - 1] = trial % 8 == 2 ? NAN : 1.f;
      std::vector<float> want = x;
      int64_t arg = -1;
      float best = -kInf;
      for (int64_t i = 0; i < n; ++i) {
        if (std::isnan(want[i])) want[i] = -kInf;
        if (want[i] > best) best = want[i], arg = i;
      }
      Sampler s(SamplingParams{}, 0);
      if (arg < 0) {
        EXPECT_QEFF_ERROR(s.next(x.data(), n, {}, {}), QEFF_E_NUMERIC, "-inf or NaN");
        continue;
      }
      ASSERT_EQ(s.next(x.data(), n, {}, {}), arg) << "n " << n << " trial " << trial;
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(x[i], want[i]) << "n " << n << " index " << i;  // NaN -> -inf
    }
  }
}

TEST(SamplerPenalties, ExactValues) {
  SamplingParams p;
  p.repetition_penalty = 1.3, p.presence_penalty = 0.5, p.frequency_penalty = 0.25;
  Sampler s(p, 0);
  std::vector<float> x = {2.0f, -1.5f, 0.7f, 3.0f, -0.2f, 1.0f};
  const std::vector<float> in = x;
  const std::vector<int32_t> prompt = {0, 1, 1, 5}, gen = {2, 2, 2, 1};
  ASSERT_EQ(s.next(x.data(), 6, prompt, gen), 3);
  const float rp = 1.3f, pres = 0.5f, freq = 0.25f;
  EXPECT_EQ(x[0], in[0] / rp);                          // prompt only: repetition once
  EXPECT_EQ(x[1], in[1] * rp - freq * 1.0f - pres);     // negative: multiplied; generated once
  EXPECT_EQ(x[2], in[2] / rp - freq * 3.0f - pres);     // generated 3 times
  EXPECT_EQ(x[3], in[3]);
  EXPECT_EQ(x[4], in[4]);
  EXPECT_EQ(x[5], in[5] / rp);
  // Penalties change greedy's choice; out-of-vocabulary ids are errors.
  SamplingParams q;
  q.repetition_penalty = 10;
  Sampler g(q, 0);
  EXPECT_EQ(next(g, {5.f, 4.f}, {0}), 1);
  EXPECT_QEFF_ERROR(next(g, {5.f, 4.f}, {0}, {2}), QEFF_E_INVALID_ARGUMENT, "generated id 2", "[0, 2)");
  EXPECT_QEFF_ERROR(next(g, {5.f, 4.f}, {-1}), QEFF_E_INVALID_ARGUMENT, "prompt id -1");
}

TEST(SamplerSeed, ReproducibleAndDistinctStreams) {
  const std::vector<float> flat(1000, 0.0f);
  const SamplingParams p = sampling(1.0, 0, 1.0, 0.0, 123);
  const auto a = sequence(p, 0, flat, 64);
  EXPECT_EQ(a, sequence(p, 0, flat, 64));
  EXPECT_NE(a, sequence(p, 1, flat, 64));
  EXPECT_NE(sequence(p, 1, flat, 64), sequence(p, 2, flat, 64));
  EXPECT_NE(a, sequence(sampling(1.0, 0, 1.0, 0.0, 124), 0, flat, 64));
}

TEST(SamplerStats, MatchesHfDistribution) {
  expect_distribution(kSix, sampling(1.0));
  expect_distribution(kSix, sampling(0.6));
  expect_distribution(kSix, sampling(2.0, 3));
  expect_distribution(kSix, sampling(1.0, 0, 0.8));
  expect_distribution(kSix, sampling(1.0, 0, 0.5, 0.0, 9));
  expect_distribution(kSix, sampling(1.0, 0, 1.0, 0.3));
  expect_distribution(kSix, sampling(1.5, 4, 0.9, 0.1));
  expect_distribution({1.f, 2.f, 2.f, 0.f, 2.f, -kInf, NAN}, sampling(1.0, 2));  // top-k keeps boundary ties
  expect_distribution({0.f, 1.f, 0.f}, sampling(0.7, 0, 1.0, 0.0, 5), 5000);
}

TEST(SamplerStats, InfinityTakesAllTheMass) {
  std::vector<int> count(4, 0);
  Sampler s(sampling(), 0);
  for (int i = 0; i < 4000; ++i) ++count[static_cast<size_t>(next(s, {50.f, kInf, 1.f, kInf}))];
  EXPECT_EQ(count[0] + count[2], 0);
  EXPECT_NEAR(count[1] / 4000.0, 0.5, 0.04);
}

TEST(SamplerBoundaries, OffSettingsChangeNothing) {
  const auto x = lm_logits(500, 3);
  const auto base = sequence(sampling(0.8), 0, x, 200);
  EXPECT_EQ(base, sequence(sampling(0.8, 500), 0, x, 200));        // top_k == vocab
  EXPECT_EQ(base, sequence(sampling(0.8, 100000), 0, x, 200));     // top_k > vocab
  EXPECT_EQ(base, sequence(sampling(0.8, 0, 1.0, 0.0), 0, x, 200)); // top_p 1, min_p 0
  SamplingParams greedy;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const auto y = lm_logits(300, seed + 100);
    const int32_t g = sequence(greedy, 0, y, 1)[0];
    for (int32_t t : sequence(sampling(1.3, 1, 1.0, 0.0, seed), 0, y, 5)) EXPECT_EQ(t, g);  // top_k 1 == greedy
  }
}

// The same candidate rules written plainly (full sort), with the same stream:
// the sampler's shortcuts (heap, nth_element, top-p prefilter) must give the
// exact same tokens.
int32_t plain_sample(const std::vector<float> &in, const SamplingParams &p, Rng &rng) {
  std::vector<float> x = in;
  const float tf = static_cast<float>(p.temperature);
  for (float &v : x) v /= tf;
  const size_t n = x.size();
  std::vector<int32_t> desc(n);
  std::iota(desc.begin(), desc.end(), 0);
  std::stable_sort(desc.begin(), desc.end(), [&](int32_t a, int32_t b) { return x[size_t(a)] > x[size_t(b)]; });
  const float m = x[size_t(desc[0])];
  std::vector<bool> keep(n, true);
  if (p.top_k > 0 && size_t(p.top_k) < n)
    for (size_t i = 0; i < n; ++i) keep[i] = x[i] >= x[size_t(desc[size_t(p.top_k - 1)])];
  auto w = [&](size_t i) { return double(std::exp(x[i] - m)); };  // float exp, as torch
  if (p.top_p < 1) {
    double total = 0, above = 0;
    size_t kept = 0;
    for (size_t i = 0; i < n; ++i) total += keep[i] ? w(i) : 0;
    for (int32_t id : desc)
      if (keep[size_t(id)]) {
        if (kept > 0 && !(above < p.top_p * total)) keep[size_t(id)] = false;
        else above += w(size_t(id)), ++kept;
      }
  }
  for (size_t i = 0; i < n; ++i) keep[i] = keep[i] && w(i) >= p.min_p;
  double total = 0, acc = 0;
  for (size_t i = 0; i < n; ++i) total += keep[i] ? w(i) : 0;
  const double target = rng.next_double() * total;
  for (size_t i = 0; i < n; ++i)
    if (keep[i] && (acc += w(i)) > target) return int32_t(i);
  return -1;
}

TEST(SamplerStats, ShortcutsMatchPlainImplementation) {
  const SamplingParams cases[] = {sampling(1.0, 40), sampling(0.7, 2000), sampling(1.0, 0, 0.9),
                                  sampling(2.0, 0, 0.95), sampling(0.8, 50, 0.8, 0.02), sampling(1.2, 0, 1.0, 0.05),
                                  sampling(3.0, 1500, 0.99, 0.0)};
  for (const SamplingParams &p : cases) {
    Sampler s(p, 2);
    Rng rng(p.seed, 2);
    for (int step = 0; step < 60; ++step) {
      const auto x = lm_logits(5000, uint64_t(step));
      ASSERT_EQ(next(s, x), plain_sample(x, p, rng)) << "top_k " << p.top_k << " top_p " << p.top_p << " step " << step;
    }
  }
}

// This thread's CPU time: steadier than wall time on a busy build machine.
double cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) * 1e-3;
}

TEST(SamplerTiming, PerCallPrintout) {
  struct Case { const char *name; SamplingParams p; bool penalties = false; };
  const Case cases[] = {{"greedy", SamplingParams{}}, {"T=0.7 (full softmax)", sampling(0.7)},
                        {"top_k=50", sampling(1.0, 50)}, {"top_p=0.9", sampling(1.0, 0, 0.9)},
                        {"T=3 top_p=0.9 (wide nucleus)", sampling(3.0, 0, 0.9)},
                        {"T=0.7 top_k=50 top_p=0.9", sampling(0.7, 50, 0.9)},
                        {"min_p=0.05", sampling(1.0, 0, 1.0, 0.05)},
                        {"top_p=0.9 + penalties (2048 ids)", sampling(1.0, 0, 0.9), true}};
  for (int64_t vocab : {int64_t{32000}, int64_t{151936}}) {
    const auto x = lm_logits(vocab, 11);
    std::vector<int32_t> ids(2048);
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = int32_t((i * 7919) % size_t(vocab));
    for (const Case &c : cases) {
      SamplingParams p = c.p;
      if (c.penalties) p.repetition_penalty = 1.1, p.presence_penalty = 0.3, p.frequency_penalty = 0.2;
      Sampler s(p, 0);
      std::vector<float> buf(x.size());
      double us = 0;
#if defined(__SANITIZE_ADDRESS__)
      const int iters = 3;  // the figures mean nothing there
#else
      const int iters = 50;
#endif
      for (int i = 0; i < iters + 2; ++i) {
        buf = x;
        const double t0 = cpu_us();
        s.next(buf.data(), vocab, std::span(ids).first(1536), std::span(ids).subspan(1536));
        if (i >= 2) us += cpu_us() - t0;
      }
      std::printf("[ timing   ] vocab %6lld %-34s %8.1f us/call\n", static_cast<long long>(vocab), c.name, us / iters);
    }
  }
}

// ---------------------------------------------------------------------------
// Stop strings

struct Streamed { std::string text; bool stopped = false; int32_t index = -1; };

Streamed stream(const std::vector<std::string> &stops, const std::vector<std::string> &pieces) {
  StopStrings m(stops);
  Streamed out;
  for (const std::string &piece : pieces) {
    StopStrings::Fed f = m.feed(piece);
    out.text += f.text;
    if (f.stopped) {
      out.stopped = true, out.index = f.stop_index;
      return out;
    }
  }
  out.text += m.finish();
  out.stopped = m.stopped(), out.index = m.stop_index();
  return out;
}

TEST(StopStrings, ValidationAndState) {
  EXPECT_QEFF_ERROR(StopStrings({"ok", ""}), QEFF_E_INVALID_ARGUMENT, "generate.stop", "stop string 1", "empty");
  EXPECT_QEFF_ERROR(StopStrings({"\xF0\x9F"}), QEFF_E_INVALID_ARGUMENT, "generate.stop", "not valid UTF-8");
  StopStrings m({"END"});
  EXPECT_QEFF_ERROR(m.feed("\xC3"), QEFF_E_INVALID_ARGUMENT, "not valid UTF-8");
  EXPECT_TRUE(m.feed("xEND").stopped);
  EXPECT_QEFF_ERROR(m.feed("more"), QEFF_E_STATE, "after its stop");
  EXPECT_EQ(m.finish(), "");
  StopStrings f({"END"});
  EXPECT_EQ(f.feed("abc EN").text, "abc ");
  EXPECT_EQ(f.held_bytes(), 2u);
  EXPECT_EQ(f.finish(), "EN");
  EXPECT_QEFF_ERROR(f.feed("D"), QEFF_E_STATE, "finish()");
}

void expect_stream(const std::vector<std::string> &stops, const std::vector<std::string> &pieces,
                   const std::string &text, bool stopped) {
  const Streamed s = stream(stops, pieces);
  EXPECT_EQ(s.text, text);
  EXPECT_EQ(s.stopped, stopped) << text;
}

TEST(StopStrings, Cases) {
  expect_stream({}, {"a", "b"}, "ab", false);
  expect_stream({"world!"}, {"Hello wor", "ld", "!", "never"}, "Hello ", true);
  expect_stream({"STOP"}, {"abc STOP def"}, "abc ", true);  // a piece with the stop string and more
  expect_stream({"<|end|>"}, {"x", "<", "|", "e", "n", "d", "|", ">", "y"}, "x", true);  // spans many pieces
  const std::string grin = "\xF0\x9F\x98\x80", beam = "\xF0\x9F\x98\x81";  // emoji sharing 3 bytes
  expect_stream({grin + "!"}, {"hi " + grin, " there " + grin, "!", "tail"}, "hi " + grin + " there ", true);
  expect_stream({beam}, {grin, grin + "x" + beam}, grin + grin + "x", true);
  expect_stream({"aab"}, {"a", "a", "a", "b"}, "a", true);  // self-overlapping
  expect_stream({"<"}, {"a<b"}, "a", true);
  expect_stream({"END"}, {"no stop ", "E", "N"}, "no stop EN", false);  // finish releases the held-back text
}

TEST(StopStrings, EarliestStartWins) {
  // "bc" completes first, but "abcd" would start earlier: undecided until it fails or completes.
  StopStrings m({"bc", "abcd"});
  StopStrings::Fed f = m.feed("xabc");
  EXPECT_EQ(f.text, "x");
  EXPECT_FALSE(f.stopped);
  f = m.feed("z");
  EXPECT_TRUE(f.stopped);
  EXPECT_EQ(f.text, "a");
  EXPECT_EQ(f.stop_index, 0);
  Streamed s = stream({"bc", "abcd"}, {"xabc", "d"});
  EXPECT_EQ(s.text, "x");
  EXPECT_EQ(s.index, 1);
  EXPECT_EQ(stream({"ab", "abc"}, {"zab"}).index, 0);  // same start: decided at once, lowest index
  StopStrings e({"bc", "abcd"});  // the text ends while "abcd" is still possible
  EXPECT_EQ(e.feed("xabc").text, "x");
  EXPECT_EQ(e.finish(), "a");
  EXPECT_TRUE(e.stopped());
  EXPECT_EQ(e.stop_index(), 0);
}

// Brute force: the shortest prefix of `text` from which a stop string could
// start (a complete occurrence or a proper prefix of one at the end).
size_t first_candidate(const std::string &text, const std::vector<std::string> &stops, bool *complete) {
  for (size_t i = 0; i < text.size(); ++i) {
    const std::string rest = text.substr(i);
    for (const std::string &s : stops)
      if (rest.size() >= s.size() && rest.compare(0, s.size(), s) == 0) return *complete = true, i;
    for (const std::string &s : stops)
      if (s.size() > rest.size() && s.compare(0, rest.size(), rest) == 0) return *complete = false, i;
  }
  return *complete = false, text.size();
}

TEST(StopStrings, RandomizedSplits) {
  const std::vector<std::string> chars = {"a", "b", "c", "\xC3\xA9", "\xF0\x9F\x98\x80", "\xF0\x9F\x98\x81"};
  Rng r(2024);
  auto pick = [&](size_t n) { return size_t(r.next_u64() % n); };
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<std::string> stops(1 + pick(3));
    for (auto &s : stops)
      for (size_t k = 1 + pick(4); k-- > 0;) s += chars[pick(3 + size_t(trial % 4))];
    std::vector<std::string> units;  // characters of the full text
    for (size_t k = pick(30); k-- > 0;) units.push_back(chars[pick(3 + size_t(trial % 4))]);
    std::string full;
    for (const auto &u : units) full += u;
    size_t cut = full.size();
    for (const auto &s : stops) cut = std::min(cut, full.find(s));
    StopStrings m(stops);
    std::string emitted, fed;
    bool stopped = false;
    for (size_t i = 0; i < units.size() && !stopped;) {
      std::string piece;
      for (size_t k = pick(4); k-- > 0 && i < units.size();) piece += units[i++];
      fed += piece;
      StopStrings::Fed f = m.feed(piece);
      ASSERT_TRUE(qeff::utf8_valid(f.text));
      emitted += f.text;
      bool complete = false;
      const size_t expect = first_candidate(fed, stops, &complete);  // what the fed text decides
      ASSERT_EQ(emitted, fed.substr(0, expect)) << "trial " << trial;
      ASSERT_EQ(f.stopped, complete) << "trial " << trial;
      stopped = f.stopped;
    }
    if (!stopped) {
      emitted += m.finish();  // the end decides a stop string waiting behind an earlier prefix
      stopped = m.stopped();
    }
    ASSERT_EQ(stopped, cut != full.size()) << "trial " << trial;
    ASSERT_EQ(emitted, full.substr(0, cut)) << "trial " << trial << " full " << full;
  }
}

}  // namespace
