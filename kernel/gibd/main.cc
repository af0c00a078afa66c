// gibd: the gibkit node daemon.
//
//   gibd --config FILE [--plugin-dir DIR]...   run the node until SIGINT/SIGTERM
//   gibd validate FILE [--plugin-dir DIR]...   check a deployment, print OK or the errors
//   gibd plugins [--plugin-dir DIR]...         list loadable plugins and their config keys
//   gibd --help | --version
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "gibkit/kernel/config/deployment.h"
#include "gibkit/kernel/node/node.h"
#include "gibkit/kernel/plugin/plugin_registry.h"
#include "gibkit/log/log.h"
#include "gibkit/saga/sync_node.h"
#include "local_api.h"
#include "node_admin.h"

namespace {

using gibkit::kernel::PluginRegistry;

constexpr const char* kUsage = R"(usage:
  gibd --config FILE [--plugin-dir DIR]...   run the node described by FILE until SIGINT/SIGTERM
  gibd validate FILE [--plugin-dir DIR]...   load plugins and validate FILE without starting;
                                             prints OK (exit 0) or every problem (exit 1)
  gibd plugins [--plugin-dir DIR]...         list the plugins found and their config keys
  gibd --help                                show this help
  gibd --version                             print "gibd <version>"

--log-level error|warn|info|debug sets which structured log lines (logfmt, on
stderr) are written; the default is info.
--plugin-dir replaces the plugin directories of the deployment (node.plugin_dirs,
default <gibd dir>/../lib/gibkit/plugins); repeat it for several directories.
The deployment format is described in docs/config.md.
While running, gibd serves `gib` commands for its deployment on the Unix
socket FILE.sock (mode 0600; docs/operations.md, "Local API").
)";

struct Options {
  std::string command;  // "run", "validate", "plugins", "help", "version"
  std::filesystem::path config;
  std::vector<std::filesystem::path> plugin_dirs;
};

// Returns false (after printing why) on bad usage.
bool parse_args(int argc, char** argv, Options& options) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* flag) -> const std::string* {
      if (i + 1 >= args.size()) {
        std::cerr << "gibd: " << flag << " needs a value\n";
        return nullptr;
      }
      return &args[++i];
    };
    if (a == "--help" || a == "-h") {
      options.command = "help";
      return true;
    } else if (a == "--version") {
      options.command = "version";
      return true;
    } else if (a == "--config") {
      const std::string* v = value("--config");
      if (v == nullptr) return false;
      options.config = *v;
      if (options.command.empty()) options.command = "run";
    } else if (a == "--log-level") {
      const std::string* v = value("--log-level");
      if (v == nullptr) return false;
      auto level = gibkit::log::parse_level(*v);
      if (!level.ok()) {
        std::cerr << "gibd: " << level.status().message() << "\n";
        return false;
      }
      gibkit::log::set_level(*level);
    } else if (a == "--plugin-dir") {
      const std::string* v = value("--plugin-dir");
      if (v == nullptr) return false;
      options.plugin_dirs.emplace_back(*v);
    } else if ((a == "validate" || a == "plugins") && options.command.empty()) {
      options.command = a;
    } else if (options.command == "validate" && options.config.empty() && a[0] != '-') {
      options.config = a;
    } else {
      std::cerr << "gibd: unexpected argument '" << a << "'\n";
      return false;
    }
  }
  if (options.command.empty()) {
    std::cerr << "gibd: nothing to do (give --config FILE, validate FILE or plugins)\n";
    return false;
  }
  if ((options.command == "run" || options.command == "validate") && options.config.empty()) {
    std::cerr << "gibd: " << options.command << " needs a deployment file\n";
    return false;
  }
  return true;
}

int list_plugins(const Options& options) {
  PluginRegistry registry;
  std::vector<std::filesystem::path> dirs = options.plugin_dirs;
  if (dirs.empty()) dirs.push_back(gibkit::kernel::default_plugin_dir());
  int exit_code = 0;
  for (const auto& dir : dirs) {
    gibkit::Status loaded = registry.load_directory(dir);
    if (!loaded.ok()) {
      std::cerr << "gibd: " << loaded.message() << "\n";
      exit_code = 1;
    }
  }
  for (const auto& plugin : registry.plugins()) {
    std::cout << gibkit::kernel::plugin_kind_name(plugin->kind()) << " " << plugin->name() << " "
              << plugin->version() << " (SDK " << plugin->sdk_version() << "): " << plugin->description() << "\n"
              << "  " << plugin->path().string() << "\n";
    for (const gibkit::ConfigKey& key : plugin->config_schema()) {
      std::cout << "  " << key.key << ": " << gibkit::config_type_name(key.type)
                << (key.required ? ", required" : "")
                << (key.default_value ? ", default " + gibkit::json::stringify(*key.default_value) : "")
                << (key.min ? ", min " + gibkit::json::number_to_string(*key.min) : "")
                << (key.max ? ", max " + gibkit::json::number_to_string(*key.max) : "");
      for (std::size_t i = 0; i < key.one_of.size(); ++i) std::cout << (i == 0 ? ", one of " : "|") << key.one_of[i];
      std::cout << (key.must_exist ? ", must exist" : "") << (key.persists_state ? ", persists state" : "") << " - "
                << key.description << "\n";
    }
  }
  for (const gibkit::Status& problem : registry.problems()) std::cerr << "refused: " << problem.message() << "\n";
  return exit_code;
}

int run(const Options& options) {
  // Block the stop signals before any transport starts a thread, so that
  // every thread inherits the mask and only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  PluginRegistry registry;
  auto deployment = gibkit::saga::SyncNode::deployment_loader().load_file(options.config, registry, options.plugin_dirs);
  if (!deployment.ok()) {
    std::cerr << deployment.status().message() << "\n";
    return 1;
  }
  auto node = gibkit::kernel::Node::create(*deployment, registry);
  if (!node.ok()) {
    std::cerr << "gibd: cannot create node: " << node.status().to_string() << "\n";
    return 1;
  }
  auto sync = gibkit::saga::SyncNode::create(**node, *deployment);
  if (!sync.ok()) {
    std::cerr << "gibd: cannot set up sync: " << sync.status().to_string() << "\n";
    return 1;
  }
  // Metrics count from the first request on; the admin endpoint (when the
  // deployment has one) must be able to listen before the node serves.
  auto admin = gibkit::gibd::NodeAdmin::start(*deployment, **sync);
  if (!admin.ok()) {
    std::cerr << "gibd: cannot start the admin endpoint: " << admin.status().to_string() << "\n";
    return 1;
  }
  gibkit::Status started = (*node)->start((*sync)->handler());
  if (!started.ok()) {
    std::cerr << "gibd: cannot start: " << started.to_string() << "\n";
    return 1;
  }
  // gib commands on this deployment run here while gibd holds the store
  // (docs/operations.md, "Local API"); without the socket they fail as locked.
  auto local_api = gibkit::tools::LocalApiServer::start(**node, *deployment);
  if (!local_api.ok()) gibkit::log::warn("local_api.off", {{"error", local_api.status().message()}});
  std::cout << "gibd: node '" << (*node)->name() << "' running; domain identity " << (*sync)->domain_tjp();
  for (const auto& [name, endpoint] : (*node)->endpoints()) std::cout << "; " << name << " at " << endpoint;
  std::cout << std::endl;
  gibkit::log::info("node.running", {{"node", (*node)->name()}, {"domain", (*sync)->domain_tjp()}});
  (*admin)->set_healthy();

  // The push plan runs beside the signal wait; a stop signal ends both.
  std::atomic<bool> stopping{false};
  std::mutex wake_mutex;
  std::condition_variable wake;
  std::thread pusher([&] {
    const gibkit::saga::PushPlan& plan = (*sync)->push_plan();
    if (plan.peers.empty() || plan.addresses.empty()) return;
    while (!stopping) {
      for (const std::string& peer : plan.peers) {
        auto report = (*sync)->sync_with(peer, plan.addresses);
        (*admin)->pushed(report);
        if (report.ok()) {
          gibkit::log::info("push.done", {{"peer", peer},
                                          {"saga", report->saga_id},
                                          {"sent", report->records_sent},
                                          {"received", report->records_received},
                                          {"turns", report->turns},
                                          {"ms", report->elapsed.count()}});
        } else {
          gibkit::log::error("push.failed", {{"peer", peer}, {"error", report.status().to_string()}});
        }
      }
      if (plan.interval.count() == 0) return;
      std::unique_lock lock(wake_mutex);
      wake.wait_for(lock, plan.interval, [&] { return stopping.load(); });
    }
  });

  // Abandoned sagas (a sender that died mid-saga) go when they have been
  // idle for saga_idle_timeout, whether or not another request comes.
  std::thread expirer([&] {
    std::unique_lock lock(wake_mutex);
    while (!wake.wait_for(lock, std::chrono::seconds(1), [&] { return stopping.load(); })) {
      lock.unlock();
      (*admin)->tick(local_api.ok() ? (*local_api)->running() : 0);
      if (std::size_t dropped = (*sync)->service().expire_idle_sagas(); dropped != 0) {
        gibkit::log::info("saga.expired", {{"sagas", dropped}});
      }
      lock.lock();
    }
  });

  int signal = 0;
  sigwait(&stop_signals, &signal);
  gibkit::log::info("node.stopping", {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
  {
    std::lock_guard lock(wake_mutex);
    stopping = true;
  }
  wake.notify_all();
  pusher.join();
  expirer.join();
  if (local_api.ok()) local_api->reset();  // waits for the commands running on the node
  (*node)->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Options options;
    if (!parse_args(argc, argv, options)) {
      std::cerr << kUsage;
      return 2;
    }
    if (options.command == "help") {
      std::cout << kUsage;
      return 0;
    }
    if (options.command == "version") {
      std::cout << "gibd " << GIBKIT_PROJECT_VERSION << "\n";
      return 0;
    }
    if (options.command == "plugins") return list_plugins(options);
    if (options.command == "validate") {
      PluginRegistry registry;
      auto deployment = gibkit::saga::SyncNode::deployment_loader().load_file(options.config, registry, options.plugin_dirs);
      if (!deployment.ok()) {
        std::cerr << deployment.status().message() << "\n";
        return 1;
      }
      // Not an error: peers write their configs before they export their
      // trust files for each other. But gibd will not start without them.
      for (const auto& missing : gibkit::saga::SyncNode::unreadable_trust_files(*deployment)) {
        std::cerr << "warning: sync.trust " << missing.string()
                  << " cannot be read; gibd will not start until it can (gib keystone export writes it)\n";
      }
      std::cout << "OK: " << options.config.string() << "\n";
      return 0;
    }
    return run(options);
  } catch (const std::exception& e) {
    std::cerr << "gibd: internal error: " << e.what() << "\n";
    return 1;
  }
}
