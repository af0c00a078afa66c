#include "saga_table.h"

namespace gibkit::saga {

std::optional<SagaTable::Held> SagaTable::hold(const std::string& id) {
  std::shared_ptr<ReceiverSaga> saga;
  {
    std::lock_guard lock(mutex_);
    auto it = sagas_.find(id);
    if (it == sagas_.end()) return std::nullopt;
    saga = it->second;
  }
  // The table's lock is not held while waiting: the running turn may need it
  // to remove the saga.
  std::unique_lock turn(saga->turn);
  if (saga->ended) return std::nullopt;
  return Held{std::move(saga), std::move(turn)};
}

std::optional<SagaTable::Held> SagaTable::try_hold(const std::string& id) {
  std::shared_ptr<ReceiverSaga> saga;
  {
    std::lock_guard lock(mutex_);
    auto it = sagas_.find(id);
    if (it == sagas_.end()) return std::nullopt;
    saga = it->second;
  }
  std::unique_lock turn(saga->turn, std::try_to_lock);
  if (!turn.owns_lock() || saga->ended) return std::nullopt;
  return Held{std::move(saga), std::move(turn)};
}

bool SagaTable::insert(const std::string& id, const std::shared_ptr<ReceiverSaga>& saga) {
  std::lock_guard lock(mutex_);
  return sagas_.try_emplace(id, saga).second;
}

bool SagaTable::contains(const std::string& id) const {
  std::lock_guard lock(mutex_);
  return sagas_.count(id) != 0;
}

void SagaTable::remove(const std::string& id, ReceiverSaga& held) {
  held.ended = true;
  std::lock_guard lock(mutex_);
  auto it = sagas_.find(id);
  if (it != sagas_.end() && it->second.get() == &held) sagas_.erase(it);
}

std::vector<std::string> SagaTable::ids() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  out.reserve(sagas_.size());
  for (const auto& [id, saga] : sagas_) out.push_back(id);
  return out;
}

std::size_t SagaTable::size() const {
  std::lock_guard lock(mutex_);
  return sagas_.size();
}

std::optional<ResumableSet> ResumeTable::keep(const std::string& saga_id, ResumableSet set) {
  std::lock_guard lock(mutex_);
  std::optional<ResumableSet> replaced;
  for (auto it = sets_.begin(); it != sets_.end(); ++it) {
    if (it->second.sender_domain == set.sender_domain) {
      replaced = std::move(it->second);
      sets_.erase(it);
      break;
    }
  }
  sets_.insert_or_assign(saga_id, std::move(set));
  return replaced;
}

std::optional<ResumableSet> ResumeTable::take(const std::string& saga_id, const std::string& sender_domain) {
  std::lock_guard lock(mutex_);
  auto it = sets_.find(saga_id);
  if (it == sets_.end() || it->second.sender_domain != sender_domain) return std::nullopt;
  ResumableSet set = std::move(it->second);
  sets_.erase(it);
  return set;
}

std::vector<ResumableSet> ResumeTable::take_expired(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  std::vector<ResumableSet> expired;
  for (auto it = sets_.begin(); it != sets_.end();) {
    if (now_ms > it->second.kept_until_ms) {
      expired.push_back(std::move(it->second));
      it = sets_.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

std::size_t ResumeTable::size() const {
  std::lock_guard lock(mutex_);
  return sets_.size();
}

}  // namespace gibkit::saga
