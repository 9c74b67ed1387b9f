#include "avtune/dist/process_group.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include "avtune/util/error.h"
#include "c10d_group.h"

namespace avtune {

namespace {

using Clock = std::chrono::steady_clock;

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

bool loopback(const std::string& addr) { return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1"; }

std::string resolve_backend(const DistOptions& o) {
  std::string b = o.backend;
#ifdef USE_C10D_NCCL
  if (b == "auto") b = o.cuda ? "nccl" : "gloo";
#else
  if (b == "auto") b = "gloo";
  if (b == "nccl") fail("dist", "backend gloo (this LibTorch was built without NCCL)", "nccl");
#endif
  if (b != "gloo" && b != "nccl") fail("dist", "backend auto|gloo|nccl", "'" + o.backend + "'");
  return b;
}

// Collectives take one tensor per call here: Gloo sums the tensors of one call together (one per
// local replica), so several tensors travel as one flat buffer per dtype.
template <typename Op>
void flat_apply(std::vector<torch::Tensor>& tensors, Op op) {
  std::map<c10::ScalarType, std::vector<size_t>> by_type;
  for (size_t i = 0; i < tensors.size(); ++i) by_type[tensors[i].scalar_type()].push_back(i);
  for (auto& [type, idx] : by_type) {
    std::vector<torch::Tensor> parts;
    for (size_t i : idx) parts.push_back(tensors[i].detach().reshape({-1}));
    std::vector<torch::Tensor> flat{torch::cat(parts)};
    op(flat);
    int64_t off = 0;
    for (size_t i : idx) {
      const int64_t n = tensors[i].numel();
      torch::NoGradGuard ng;
      tensors[i].copy_(flat[0].slice(0, off, off + n).view(tensors[i].sizes()));
      off += n;
    }
  }
}

}  // namespace

DistGroup::DistGroup(const DistEnv& env, const DistOptions& opts) : env_(env), impl_(std::make_unique<Impl>()) {
  backend_ = resolve_backend(opts);
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(opts.timeout_s * 1000));
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  const std::string me = "rank " + std::to_string(env.rank) + " of " + std::to_string(env.world_size);
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(env.master_port);
    so.isServer = env.rank == 0;
    so.numWorkers = static_cast<size_t>(env.world_size);
    so.waitWorkers = false;  // arrivals are counted below, with a clear error
    so.timeout = timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
  } catch (const std::exception& e) {
    fail("dist", "the rendezvous store at " + where + " (" + me + ", timeout " + std::to_string(opts.timeout_s) + " s)",
         first_line(e.what()));
  }
  // Every rank counts itself in, then waits for the others: a missing peer ends here, not in a hang.
  const auto deadline = Clock::now() + timeout;
  int64_t arrived = impl_->store->add("avtune/arrived", 1);
  while (arrived < env.world_size) {
    if (Clock::now() > deadline)
      fail("dist", std::to_string(env.world_size) + " processes at " + where + " within " + std::to_string(opts.timeout_s) + " s",
           std::to_string(arrived) + " (" + me + "; start every rank, or check MASTER_ADDR/MASTER_PORT)");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    arrived = impl_->store->add("avtune/arrived", 0);
  }
  try {
    if (backend_ == "gloo") {
      auto o = c10d::ProcessGroupGloo::Options::create(std::max(timeout, std::chrono::milliseconds(1800 * 1000)));
      if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"))
        o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      else if (loopback(env.master_addr))
        o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      else
        o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      o->threads = 2;
      impl_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, env.rank, env.world_size, o);
    } else {
#ifdef USE_C10D_NCCL
      impl_->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, env.rank, env.world_size,
                                                               c10d::ProcessGroupNCCL::Options::create());
#endif
    }
  } catch (const avtune::Error&) {
    throw;
  } catch (const std::exception& e) {
    fail("dist", "a " + backend_ + " process group at " + where + " (" + me + ")", first_line(e.what()));
  }
}

DistGroup::~DistGroup() = default;

void DistGroup::all_reduce_sum(std::vector<torch::Tensor>& tensors) {
  flat_apply(tensors, [&](std::vector<torch::Tensor>& t) { impl_->pg->allreduce(t)->wait(); });
}

double DistGroup::all_reduce_sum(double x) {
  std::vector<torch::Tensor> t{torch::full({1}, x, torch::kFloat64)};
  impl_->pg->allreduce(t)->wait();
  return t[0].item<double>();
}

void DistGroup::broadcast(std::vector<torch::Tensor>& tensors, int root) {
  c10d::BroadcastOptions o;
  o.rootRank = root;
  flat_apply(tensors, [&](std::vector<torch::Tensor>& t) { impl_->pg->broadcast(t, o)->wait(); });
}

torch::Tensor DistGroup::all_gather_rows(const torch::Tensor& rows) {
  const int W = env_.world_size;
  // Row counts first, then rows padded to the largest count.
  std::vector<torch::Tensor> n_in{torch::full({1}, rows.size(0), torch::kInt64)};
  std::vector<std::vector<torch::Tensor>> n_out(1);
  for (int r = 0; r < W; ++r) n_out[0].push_back(torch::empty({1}, torch::kInt64));
  impl_->pg->allgather(n_out, n_in)->wait();
  int64_t most = 0;
  for (const auto& n : n_out[0]) most = std::max(most, n.item<int64_t>());
  auto shape = rows.sizes().vec();
  shape[0] = most;
  auto padded = torch::zeros(shape, rows.options());
  padded.slice(0, 0, rows.size(0)).copy_(rows);
  std::vector<torch::Tensor> in{padded};
  std::vector<std::vector<torch::Tensor>> out(1);
  for (int r = 0; r < W; ++r) out[0].push_back(torch::empty(shape, rows.options()));
  impl_->pg->allgather(out, in)->wait();
  std::vector<torch::Tensor> parts;
  for (int r = 0; r < W; ++r) parts.push_back(out[0][r].slice(0, 0, n_out[0][r].item<int64_t>()));
  return torch::cat(parts);
}

void DistGroup::barrier() { impl_->pg->barrier()->wait(); }

namespace {
std::mutex g_mu;
std::shared_ptr<DistGroup> g_group;
bool g_initialised = false;
}  // namespace

std::shared_ptr<DistGroup> current_dist_group() {
  std::lock_guard<std::mutex> lk(g_mu);
  return g_group;
}

std::shared_ptr<DistGroup> init_distributed(const DistOptions& opts) {
  std::lock_guard<std::mutex> lk(g_mu);
  if (g_initialised) return g_group;
  const DistEnv env = dist_env_from_environment();
  if (env.distributed()) g_group = std::make_shared<DistGroup>(env, opts);
  g_initialised = true;
  return g_group;
}

}  // namespace avtune
