// The pooling head: qeff pooling functions plus standard ops (pooling.hpp).
#include "transforms/pooling.hpp"

#include "common/error.hpp"

namespace qeff::transforms {

const char *pooling_name(Pooling p) {
  switch (p) {
    case Pooling::kNone: return "none";
    case Pooling::kMean: return "mean";
    case Pooling::kCls: return "cls";
    case Pooling::kMax: return "max";
    case Pooling::kMeanSqrtLen: return "mean_sqrt_len";
    case Pooling::kLastToken: return "last_token";
  }
  return "?";
}

const char *pooling_names() { return "none, mean, avg, cls, max, mean_sqrt_len, last_token"; }

std::optional<Pooling> parse_pooling(const std::string &name) {
  for (Pooling p : {Pooling::kNone, Pooling::kMean, Pooling::kCls, Pooling::kMax, Pooling::kMeanSqrtLen,
                    Pooling::kLastToken})
    if (name == pooling_name(p)) return p;
  if (name == "avg") return Pooling::kMean;  // QEfficient's "avg" (e5's average_pool) is the masked mean
  return std::nullopt;
}

namespace {

// x / max(||x||_2 over the last axis, 1e-12), as torch.nn.functional.normalize.
std::string l2_normalize(graph::GraphBuilder &b, const std::string &x) {
  std::string norm = b.op("ReduceL2", {x}, {{"axes", std::vector<int64_t>{-1}}, {"keepdims", int64_t{1}}});
  std::string floor = b.op("Max", {norm, b.constant_f32("norm_eps", {1e-12f}, graph::Shape{})});
  return b.op("Div", {x, floor});
}

}  // namespace

std::string add_pooling(graph::GraphBuilder &b, const std::string &hidden, const std::string &mask, Pooling pooling,
                        bool normalize) {
  b.set_scope("pooling");
  std::string y;
  switch (pooling) {
    case Pooling::kNone: y = hidden; break;
    case Pooling::kMean: y = b.op("MeanPool", {hidden, mask}, {}, std::nullopt, "qeff"); break;
    case Pooling::kCls: y = b.op("ClsPool", {hidden, mask}, {}, std::nullopt, "qeff"); break;
    case Pooling::kMax: y = b.op("MaxPool", {hidden, mask}, {}, std::nullopt, "qeff"); break;
    case Pooling::kLastToken: y = b.op("LastTokenPool", {hidden, mask}, {}, std::nullopt, "qeff"); break;
    case Pooling::kMeanSqrtLen: {
      // mean * sqrt(length) = sum / sqrt(length); a row without tokens stays 0.
      std::string mean = b.op("MeanPool", {hidden, mask}, {}, std::nullopt, "qeff");
      std::string len = b.op("ReduceSum", {mask, b.constant_i64("axis1", {1})}, {{"keepdims", int64_t{1}}});
      std::string lenf = b.op("Cast", {len}, {{"to", int64_t{1}}}  /* ONNX FLOAT */);
      y = b.op("Mul", {mean, b.op("Sqrt", {lenf})});
      break;
    }
  }
  if (normalize) y = l2_normalize(b, y);
  b.set_scope("");
  return y;
}

}  // namespace qeff::transforms
