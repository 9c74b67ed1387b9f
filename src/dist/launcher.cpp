#include "avtune/dist/launcher.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "avtune/util/error.h"

namespace avtune {

namespace {

struct Stream {
  int fd = -1;
  FILE* to = nullptr;
  std::string pending;  // bytes after the last newline
};

struct Worker {
  pid_t pid = -1;
  Stream out, err;
  bool done = false;
  int code = 0;
  std::string last_error;
};

void forward_lines(Stream& s, int rank, const char* data, size_t n, std::string* last_line) {
  s.pending.append(data, n);
  size_t start = 0;
  for (size_t nl; (nl = s.pending.find('\n', start)) != std::string::npos; start = nl + 1) {
    const std::string line = s.pending.substr(start, nl - start);
    std::fprintf(s.to, "[rank %d] %s\n", rank, line.c_str());
    if (last_line && !line.empty()) *last_line = line;
  }
  s.pending.erase(0, start);
  std::fflush(s.to);
}

// Reads what is there; false once the stream is closed.
bool drain(Stream& s, int rank, std::string* last_line) {
  char buf[4096];
  const ssize_t n = read(s.fd, buf, sizeof buf);
  if (n > 0) {
    forward_lines(s, rank, buf, static_cast<size_t>(n), last_line);
    return true;
  }
  if (n < 0 && errno == EINTR) return true;
  if (!s.pending.empty()) forward_lines(s, rank, "\n", 1, last_line);
  close(s.fd);
  s.fd = -1;
  return false;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

std::string LaunchResult::describe() const {
  if (failed_rank < 0) return "every worker finished";
  std::string s = "rank " + std::to_string(failed_rank) + " failed (exit code " + std::to_string(exit_code) + ")";
  if (!last_error.empty()) s += ": " + last_error;
  return s;
}

int free_local_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("launch", "a socket for a free port", std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    fail("launch", "a free port on 127.0.0.1", std::strerror(errno));
  }
  close(fd);
  return ntohs(a.sin_port);
}

std::vector<std::string> without_option(const std::vector<std::string>& args, const std::string& option) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == option) {
      ++i;  // its value
      continue;
    }
    if (args[i].rfind(option + "=", 0) == 0) continue;
    out.push_back(args[i]);
  }
  return out;
}

LaunchResult launch_local_workers(const LaunchOptions& o) {
  if (o.nproc < 1) fail("launch", "--nproc >= 1", std::to_string(o.nproc));
  const std::string port = std::to_string(free_local_port());
  std::vector<Worker> workers(static_cast<size_t>(o.nproc));
  std::fflush(stdout);
  std::fflush(stderr);
  for (int r = 0; r < o.nproc; ++r) {
    int out[2], err[2];
    if (pipe(out) != 0 || pipe(err) != 0) fail("launch", "pipes for the workers' output", std::strerror(errno));
    const pid_t pid = fork();
    if (pid < 0) fail("launch", "a worker process", std::strerror(errno));
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // no orphans when the launcher dies
      dup2(out[1], 1);
      dup2(err[1], 2);
      close(out[0]), close(out[1]), close(err[0]), close(err[1]);
      const std::pair<const char*, std::string> vars[] = {
          {"RANK", std::to_string(r)},        {"WORLD_SIZE", std::to_string(o.nproc)},
          {"LOCAL_RANK", std::to_string(r)},  {"LOCAL_WORLD_SIZE", std::to_string(o.nproc)},
          {"MASTER_ADDR", "127.0.0.1"},       {"MASTER_PORT", port}};
      for (const auto& [k, v] : vars) setenv(k, v.c_str(), 1);
      for (const auto& [k, v] : o.env) setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> argv;
      for (const auto& a : o.args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(o.program.c_str(), argv.data());
      std::fprintf(stderr, "launch: expected to start %s, got %s\n", o.program.c_str(), std::strerror(errno));
      _exit(127);
    }
    close(out[1]), close(err[1]);
    auto& w = workers[static_cast<size_t>(r)];
    w.pid = pid;
    w.out = {out[0], stdout, {}};
    w.err = {err[0], stderr, {}};
  }

  LaunchResult res;
  using Clock = std::chrono::steady_clock;
  Clock::time_point kill_at{};
  bool terminating = false;
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<std::pair<size_t, bool>> who;  // worker, is stderr
    for (size_t r = 0; r < workers.size(); ++r) {
      if (workers[r].out.fd >= 0) fds.push_back({workers[r].out.fd, POLLIN, 0}), who.emplace_back(r, false);
      if (workers[r].err.fd >= 0) fds.push_back({workers[r].err.fd, POLLIN, 0}), who.emplace_back(r, true);
    }
    if (!fds.empty() && poll(fds.data(), fds.size(), 100) > 0)
      for (size_t i = 0; i < fds.size(); ++i)
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
          auto& w = workers[who[i].first];
          drain(who[i].second ? w.err : w.out, static_cast<int>(who[i].first), who[i].second ? &w.last_error : nullptr);
        }
    if (fds.empty()) usleep(50 * 1000);
    bool all_done = true;
    for (size_t r = 0; r < workers.size(); ++r) {
      auto& w = workers[r];
      if (w.done) continue;
      int status = 0;
      if (waitpid(w.pid, &status, WNOHANG) == w.pid) {
        w.done = true;
        w.code = exit_code_of(status);
        if (w.code != 0 && res.failed_rank < 0 && !terminating) {
          res.failed_rank = static_cast<int>(r);
          res.exit_code = w.code;
          terminating = true;  // one failed: stop the others, who would wait on it forever
          kill_at = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o.grace_s * 1000));
          for (auto& other : workers)
            if (!other.done) kill(other.pid, SIGTERM);
        }
      } else {
        all_done = false;
      }
    }
    if (terminating && Clock::now() > kill_at)
      for (auto& w : workers)
        if (!w.done) kill(w.pid, SIGKILL);
    if (all_done) break;
  }
  for (auto& w : workers) {  // output written just before exiting
    while (w.out.fd >= 0 && drain(w.out, static_cast<int>(&w - workers.data()), nullptr)) {
    }
    while (w.err.fd >= 0 && drain(w.err, static_cast<int>(&w - workers.data()), &w.last_error)) {
    }
  }
  if (res.failed_rank >= 0) res.last_error = workers[static_cast<size_t>(res.failed_rank)].last_error;
  return res;
}

}  // namespace avtune
