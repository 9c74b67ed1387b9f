#include "avtune/run/run_pool.h"

#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>

#include "avtune/run/training_run.h"
#include "avtune/util/error.h"
#include "avtune/util/progress.h"

namespace avtune {

void run_pool(std::vector<TrainConfig> jobs, const RunPoolOptions& opts) {
  if (opts.parallel < 1) fail("run-pool", "parallel >= 1", std::to_string(opts.parallel));
  if (opts.threads_per_run < 1) fail("run-pool", "threads_per_run >= 1", std::to_string(opts.threads_per_run));
  const auto t0 = std::chrono::steady_clock::now();
  const size_t n = jobs.size();
  std::atomic<size_t> next{0};
  std::mutex mu;  // guards done, first_error and stderr lines
  size_t done = 0;
  std::exception_ptr first_error;
  std::string first_error_dir;

  auto finished = [&](const TrainConfig& c, std::exception_ptr err) {
    std::lock_guard<std::mutex> lk(mu);
    ++done;
    if (err && !first_error) {
      first_error = err;
      first_error_dir = c.out_dir;
    }
    if (opts.quiet || opts.parallel == 1) return;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double eta = s / static_cast<double>(done) * static_cast<double>(n - done);
    std::fprintf(stderr, "%s: [%zu/%zu] %s %s (%s elapsed, ETA %s)\n", opts.label.c_str(), done, n,
                 err ? "FAILED" : "finished", c.out_dir.c_str(), format_duration(s).c_str(), format_duration(eta).c_str());
  };
  auto run_one = [&](TrainConfig c) {
    std::shared_ptr<void> held;  // the job's claim, released after after_run
    try {
      if (opts.claim && !(held = opts.claim(c))) {
        std::lock_guard<std::mutex> lk(mu);
        ++done;  // not this process's to train
        return;
      }
      const RunOutcome out = run_training(c, opts.quiet || opts.parallel > 1);
      if (opts.after_run) opts.after_run(c, out);
      finished(c, nullptr);
    } catch (...) {
      finished(c, std::current_exception());
    }
  };

  if (opts.parallel == 1 || n <= 1) {
    for (auto& c : jobs) run_one(c);
  } else {
    const int outer = torch::get_num_threads();
    auto worker = [&] {
      // Per-thread OpenMP setting: this thread's ops (and the loader threads it starts) use threads_per_run.
      torch::set_num_threads(opts.threads_per_run);
      for (size_t i; (i = next++) < n;) {
        TrainConfig c = jobs[i];
        c.progress = false;
        run_one(std::move(c));
      }
    };
    std::vector<std::thread> pool;
    const size_t width = std::min(n, static_cast<size_t>(opts.parallel));
    if (!opts.quiet && !opts.claim)  // with claims, which runs this process trains is known only as it goes
      std::fprintf(stderr, "%s: training %zu runs, %zu side by side, %d thread(s) each\n", opts.label.c_str(), n, width,
                   opts.threads_per_run);
    for (size_t k = 0; k < width; ++k) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
    torch::set_num_threads(outer);  // the workers changed LibTorch's process-wide default
  }
  if (first_error) {
    try {
      std::rethrow_exception(first_error);
    } catch (const std::exception& e) {
      fail("run-pool", "every run to finish", std::string(e.what()), {first_error_dir});
    }
  }
}

}  // namespace avtune
