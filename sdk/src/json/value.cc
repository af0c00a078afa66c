// json::Value storage, accessors and the typed lookups for untrusted input.
#include <cassert>
#include <cmath>
#include <variant>

#include "gibkit/json.h"

namespace gibkit::json {

// Alternatives are in json::Type order, so type() is the variant index.
struct Value::Storage {
  std::variant<std::nullptr_t, bool, double, std::string, Array, Object> v;
};

std::string_view type_name(Type type) noexcept {
  switch (type) {
    case Type::kNull: return "null";
    case Type::kBool: return "boolean";
    case Type::kNumber: return "number";
    case Type::kString: return "string";
    case Type::kArray: return "array";
    case Type::kObject: return "object";
  }
  return "unknown";
}

Value::Value() noexcept = default;
Value::Value(std::nullptr_t) noexcept {}
Value::Value(bool b) noexcept : storage_(new Storage{b}) {}
Value::Value(double d) noexcept : storage_(new Storage{d}) {}
Value::Value(int i) noexcept : Value(static_cast<double>(i)) {}
Value::Value(std::int64_t i) noexcept : Value(static_cast<double>(i)) {}
Value::Value(std::uint64_t i) noexcept : Value(static_cast<double>(i)) {}
Value::Value(const char* s) : storage_(new Storage{std::string(s)}) {}
Value::Value(std::string s) noexcept : storage_(new Storage{std::move(s)}) {}
Value::Value(std::string_view s) : storage_(new Storage{std::string(s)}) {}
Value::Value(Array a) noexcept : storage_(new Storage{std::move(a)}) {}
Value::Value(Object o) noexcept : storage_(new Storage{std::move(o)}) {}
Value::Value(const Value& other) : storage_(other.storage_ ? new Storage(*other.storage_) : nullptr) {}
Value::Value(Value&& other) noexcept = default;
Value& Value::operator=(const Value& other) {
  if (this != &other) storage_.reset(other.storage_ ? new Storage(*other.storage_) : nullptr);
  return *this;
}
Value& Value::operator=(Value&& other) noexcept = default;
Value::~Value() = default;

Type Value::type() const noexcept {
  return storage_ ? static_cast<Type>(storage_->v.index()) : Type::kNull;
}

bool Value::as_bool() const {
  assert(is_bool());
  return std::get<bool>(storage_->v);
}
double Value::as_number() const {
  assert(is_number());
  return std::get<double>(storage_->v);
}
const std::string& Value::as_string() const {
  assert(is_string());
  return std::get<std::string>(storage_->v);
}
std::string& Value::as_string() {
  assert(is_string());
  return std::get<std::string>(storage_->v);
}
const Array& Value::as_array() const {
  assert(is_array());
  return std::get<Array>(storage_->v);
}
Array& Value::as_array() {
  assert(is_array());
  return std::get<Array>(storage_->v);
}
const Object& Value::as_object() const {
  assert(is_object());
  return std::get<Object>(storage_->v);
}
Object& Value::as_object() {
  assert(is_object());
  return std::get<Object>(storage_->v);
}

bool Value::truthy() const noexcept {
  switch (type()) {
    case Type::kNull: return false;
    case Type::kBool: return std::get<bool>(storage_->v);
    case Type::kNumber: {
      const double d = std::get<double>(storage_->v);
      return d != 0 && !std::isnan(d);
    }
    case Type::kString: return !std::get<std::string>(storage_->v).empty();
    case Type::kArray:
    case Type::kObject: return true;
  }
  return false;
}

const Value* Value::find(std::string_view key) const { return is_object() ? as_object().find(key) : nullptr; }
Value* Value::find(std::string_view key) { return is_object() ? as_object().find(key) : nullptr; }

bool operator==(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  if (a.is_null()) return true;
  return a.storage_->v == b.storage_->v;
}

namespace {

// Finds `key` and checks its type; the error names both types.
Result<const Value*> typed_member(const Object& object, std::string_view key, Type want) {
  const Value* value = object.find(key);
  if (value == nullptr) return not_found("missing key \"" + std::string(key) + "\"");
  if (value->type() != want) {
    return invalid_argument("key \"" + std::string(key) + "\" must be " + std::string(type_name(want)) +
                            ", not " + std::string(type_name(value->type())));
  }
  return value;
}

}  // namespace

Result<std::string> get_string(const Object& object, std::string_view key) {
  GIBKIT_ASSIGN_OR_RETURN(const Value* value, typed_member(object, key, Type::kString));
  return value->as_string();
}
Result<double> get_number(const Object& object, std::string_view key) {
  GIBKIT_ASSIGN_OR_RETURN(const Value* value, typed_member(object, key, Type::kNumber));
  return value->as_number();
}
Result<bool> get_bool(const Object& object, std::string_view key) {
  GIBKIT_ASSIGN_OR_RETURN(const Value* value, typed_member(object, key, Type::kBool));
  return value->as_bool();
}
Result<const Array*> get_array(const Object& object, std::string_view key) {
  GIBKIT_ASSIGN_OR_RETURN(const Value* value, typed_member(object, key, Type::kArray));
  return &value->as_array();
}
Result<const Object*> get_object(const Object& object, std::string_view key) {
  GIBKIT_ASSIGN_OR_RETURN(const Value* value, typed_member(object, key, Type::kObject));
  return &value->as_object();
}

}  // namespace gibkit::json
