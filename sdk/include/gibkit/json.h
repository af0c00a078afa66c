// File: gibkit/json.h
//
// A JSON value model with ECMAScript semantics, so that gibkit serializes a
// record to exactly the bytes a JavaScript engine's JSON.stringify produces.
// Content hashes (gibs) are taken over those bytes, so every detail matters:
//
//  * Every number is an IEEE-754 double, as in JavaScript.
//  * Object property order is the order a JS engine keeps: keys that are array
//    indices (canonical decimal of an integer in [0, 2^32 - 2]) come first in
//    ascending numeric order, then all other keys in insertion order.
//    Re-inserting an existing key keeps its position.
//  * stringify() is JSON.stringify(value) with no indentation: numbers in the
//    shortest round-trip form (1e+21, 5e-324, -0 -> 0, NaN/Infinity -> null),
//    strings escaped like the engine ('"', '\\', \b \f \n \r \t, other
//    control characters and lone surrogates as lowercase \u00xx / \udxxx,
//    everything else as raw UTF-8).
//  * Strings hold UTF-8. A lone surrogate parsed from a "\udxxx" escape is kept
//    as its WTF-8 encoding so that it round-trips; stringify re-escapes it.
//
// parse() accepts RFC 8259 JSON only (no comments, no trailing commas, no
// leading zeros, no bare control characters in strings). It rejects invalid
// UTF-8 and reports the line, column and byte offset of any error. Duplicate
// keys follow JSON.parse: the last value wins, at the first key's position.
//
// JavaScript's `undefined` has no JSON form and so no Value; code that models
// an optional field simply leaves the key out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gibkit/status.h"

namespace gibkit::json {

class Value;

using Array = std::vector<Value>;

// An object that keeps JavaScript property order (see the file comment).
// Lookups are linear below a small size and hashed above it.
class Object {
 public:
  using Member = std::pair<std::string, Value>;
  using const_iterator = std::vector<Member>::const_iterator;
  using iterator = std::vector<Member>::iterator;

  Object();
  Object(std::initializer_list<Member> members);
  // Builds from members given in insertion order, as JSON.parse would: a
  // later duplicate key replaces the value but keeps the first position.
  // O(n log n), so large parsed objects never pay for member-wise inserts.
  [[nodiscard]] static Object from_members(std::vector<Member> members);
  Object(const Object& other);
  Object(Object&& other) noexcept;
  Object& operator=(const Object& other);
  Object& operator=(Object&& other) noexcept;
  ~Object();

  // Defined after Value (below): Member holds a Value, which must be complete
  // wherever a member function touches members_ (Clang instantiates inline
  // bodies at the class's end, where Value is not yet defined).
  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] bool empty() const noexcept;

  // nullptr when absent.
  [[nodiscard]] const Value* find(std::string_view key) const;
  [[nodiscard]] Value* find(std::string_view key);
  [[nodiscard]] bool contains(std::string_view key) const { return find(key) != nullptr; }

  // Inserts or replaces; an existing key keeps its position. Returns the stored value.
  Value& set(std::string key, Value value);
  // Returns the value for key, inserting null at the JS position if absent.
  Value& operator[](std::string_view key);
  // Removes key; returns whether it was present.
  bool erase(std::string_view key);

  // Members in JavaScript property order. Mutating values through the
  // iterators is fine; keys must not be changed.
  [[nodiscard]] const_iterator begin() const noexcept;
  [[nodiscard]] const_iterator end() const noexcept;
  [[nodiscard]] iterator begin() noexcept;
  [[nodiscard]] iterator end() noexcept;

  friend bool operator==(const Object& a, const Object& b);

 private:
  struct Index;
  std::vector<Member> members_;
  std::unique_ptr<Index> index_;  // key -> position, built for large objects
  std::size_t index_key_count_ = 0;  // leading members whose keys are array indices
  void rebuild_index();
};

enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

// Name used in error messages: "null", "boolean", "number", "string", "array", "object".
[[nodiscard]] std::string_view type_name(Type type) noexcept;

class Value {
 public:
  Value() noexcept;  // null
  Value(std::nullptr_t) noexcept;
  Value(bool b) noexcept;
  Value(double d) noexcept;
  Value(int i) noexcept;
  Value(std::int64_t i) noexcept;
  Value(std::uint64_t i) noexcept;
  Value(const char* s);
  Value(std::string s) noexcept;
  Value(std::string_view s);
  Value(Array a) noexcept;
  Value(Object o) noexcept;
  Value(const Value& other);
  Value(Value&& other) noexcept;
  Value& operator=(const Value& other);
  Value& operator=(Value&& other) noexcept;
  ~Value();

  [[nodiscard]] Type type() const noexcept;
  [[nodiscard]] bool is_null() const noexcept { return type() == Type::kNull; }
  [[nodiscard]] bool is_bool() const noexcept { return type() == Type::kBool; }
  [[nodiscard]] bool is_number() const noexcept { return type() == Type::kNumber; }
  [[nodiscard]] bool is_string() const noexcept { return type() == Type::kString; }
  [[nodiscard]] bool is_array() const noexcept { return type() == Type::kArray; }
  [[nodiscard]] bool is_object() const noexcept { return type() == Type::kObject; }

  // Accessors require the matching type (asserted); use the is_* checks or
  // the get_* helpers below on untrusted input.
  [[nodiscard]] bool as_bool() const;
  [[nodiscard]] double as_number() const;
  [[nodiscard]] const std::string& as_string() const;
  [[nodiscard]] std::string& as_string();
  [[nodiscard]] const Array& as_array() const;
  [[nodiscard]] Array& as_array();
  [[nodiscard]] const Object& as_object() const;
  [[nodiscard]] Object& as_object();

  // JavaScript truthiness: false for null, false, 0, -0, NaN and "".
  [[nodiscard]] bool truthy() const noexcept;

  // Member of an object, or nullptr (also when this is not an object).
  [[nodiscard]] const Value* find(std::string_view key) const;
  [[nodiscard]] Value* find(std::string_view key);

  friend bool operator==(const Value& a, const Value& b);

 private:
  struct Storage;
  std::unique_ptr<Storage> storage_;
};

inline std::size_t Object::size() const noexcept { return members_.size(); }
inline bool Object::empty() const noexcept { return members_.empty(); }
inline Object::const_iterator Object::begin() const noexcept { return members_.begin(); }
inline Object::const_iterator Object::end() const noexcept { return members_.end(); }
inline Object::iterator Object::begin() noexcept { return members_.begin(); }
inline Object::iterator Object::end() noexcept { return members_.end(); }

// Where parse() gave up: 1-based line and column (column counts bytes) and the
// 0-based byte offset. The Status message reads
// "line L, column C (offset O): reason".
struct ParseError {
  std::size_t line = 0;
  std::size_t column = 0;
  std::size_t offset = 0;
  std::string reason;
};

struct ParseOptions {
  // Nesting deeper than this is rejected (kResourceExhausted), so hostile input
  // cannot exhaust the stack.
  std::size_t max_depth = 512;
};

// Parses one JSON text (surrounding whitespace allowed). On failure the Status
// is kInvalidArgument (kResourceExhausted for max_depth) and, if `error` is
// given, it receives the position.
[[nodiscard]] Result<Value> parse(std::string_view text, const ParseOptions& options = {},
                                  ParseError* error = nullptr);

// parse(), also telling whether `text` is exactly what stringify() writes for
// the value it parses to (JSON.stringify(JSON.parse(text)) === text): no
// whitespace, numbers in their shortest form, no duplicate keys. A reader
// that keeps values in stringified form can then keep the text it was given
// instead of writing it again. True only when sure: a text with an escape in
// a string, or with an array-index key, gives false even where stringify
// would write the same bytes.
[[nodiscard]] Result<Value> parse_with_form(std::string_view text, bool& is_stringified,
                                            const ParseOptions& options = {});

// One member of an object as split_object() gives it: the key decoded, the
// value still its JSON text (a view into the text given to split_object).
struct RawMember {
  std::string key;
  std::string_view json_text;
};

// The members of a JSON text that is one object, in order, each value checked
// exactly as parse() would but kept as its text: no Value is built. For a
// reader that decodes some members now and others only later or never, e.g.
// a message whose small authenticating part is checked before its large
// part is decoded. Duplicate keys are all listed (parse() keeps the last).
[[nodiscard]] Result<std::vector<RawMember>> split_object(std::string_view text, const ParseOptions& options = {},
                                                          ParseError* error = nullptr);

// The elements of a JSON text that is one array, each checked as parse()
// would but kept as its text, so that a long array can be decoded one
// element at a time.
[[nodiscard]] Result<std::vector<std::string_view>> split_array(std::string_view text,
                                                                const ParseOptions& options = {},
                                                                ParseError* error = nullptr);

// JSON.stringify(value), compact.
[[nodiscard]] std::string stringify(const Value& value);
// Appends JSON.stringify(value) to `out` (no allocation of a temporary).
void stringify_to(const Value& value, std::string& out);
// The same for an object held outside a Value (no copy into one needed).
void stringify_to(const Object& object, std::string& out);

// JavaScript Number.prototype.toString() of a finite double ("1e+21", "5e-324",
// "0" for -0). NaN and infinities give "NaN", "Infinity", "-Infinity".
[[nodiscard]] std::string number_to_string(double d);

// Whether `key` is an array index in the ECMAScript sense (canonical decimal
// of an integer in [0, 2^32 - 2]); such keys sort first in objects.
[[nodiscard]] bool is_array_index_key(std::string_view key) noexcept;

// Typed lookups for untrusted objects: kNotFound when absent,
// kInvalidArgument naming the key and both types when the type differs.
[[nodiscard]] Result<std::string> get_string(const Object& object, std::string_view key);
[[nodiscard]] Result<double> get_number(const Object& object, std::string_view key);
[[nodiscard]] Result<bool> get_bool(const Object& object, std::string_view key);
[[nodiscard]] Result<const Array*> get_array(const Object& object, std::string_view key);
[[nodiscard]] Result<const Object*> get_object(const Object& object, std::string_view key);

}  // namespace gibkit::json
