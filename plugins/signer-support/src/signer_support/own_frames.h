// File: signer_support/own_frames.h
//
// A signer evolves only frames it made itself. Evolving a frame reveals what
// the frame's content asks for (a keystone reveals the solutions of the
// challenges in its pools), so a signer handed a frame whose content someone
// else chose, e.g. a frame on the signer's own timeline with attacker-chosen
// pools and a recomputed gib, would reveal solutions it must not. So for each
// identity the signer records the address of the latest frame it made (the
// genesis at create_identity, then each sign or revoke result) in its
// SecretStore, beside the secret (persisted when the store is a directory),
// and evolves that frame and no other. Since the frame must also pass
// intrinsic validation, its address pins its content.
//
// This also refuses evolving one frame twice, which for a keystone would
// reveal a second set of that frame's solutions.
//
// The caller serializes, per signer, everything from own_latest_frame() to
// record_own_frame(), so two evolutions of one frame cannot both pass.
//
// Catch-up (issue #10, the kill -9 window). The signer records frame n+1
// before its caller (the kernel's IdentityRegistry) stores it; a process
// killed in between restarts with the registry at n and the signer at n+1.
// Refusing n then would lock the identity forever, and making another n+1
// from n would evolve n twice (a second signature by its one-time key). So
// the record keeps the whole frame, not only its address, and when asked to
// evolve n while the frame it made last is n+1 *whose past is exactly n*,
// the signer adopts n+1: it evolves n+1 (never evolved: it is the latest
// made) and hands out n+1 followed by the new frame, in dependency order.
// The caller verifies n+1 from n like any frame before storing both. Only
// this one step back is adopted: any other frame is still refused, and a
// caller more than one frame behind lost frames only peers may hold (`gib
// keystone recover`, docs/security.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gibkit/ibgib.h"
#include "gibkit/status.h"
#include "signer_support/secret_store.h"

namespace gibkit::signer_support {

// A frame the signer may evolve, with what it needs to do so.
struct OwnFrame {
  IbGib frame;
  std::string identity;  // the genesis gib
  Secret master;
  // The JSON of the frame adopted by catch-up (`frame`, which the caller
  // does not hold yet), to hand out before the new frame; empty otherwise.
  std::string adopted_json;
};

// Records a new identity: its secret, then the genesis as its latest frame.
[[nodiscard]] Status record_new_identity(SecretStore& store, const IbGib& genesis, const Secret& master,
                                         Lifetime lifetime = Lifetime::kStored);

// Signer::forget for the identity whose genesis address is `identity_tjp`
// (SecretStore::forget: what is held in memory).
[[nodiscard]] Status forget_identity(SecretStore& store, std::string_view identity_tjp);

// Parses the frame a signer (`who`, for messages) is asked to evolve and
// checks it: intrinsically valid (kPermissionDenied "gib: ..."), in a
// timeline, its secret held (kNotFound otherwise), and exactly the latest
// frame this signer made for its identity (kFailedPrecondition, "... not the
// latest frame this signer made ...", also when none is recorded) -- or the
// frame just before it, which the latest frame links as its past: then the
// latest frame is adopted (catch-up above) and returned as `frame`.
[[nodiscard]] Result<OwnFrame> own_latest_frame(const SecretStore& store, std::string_view who,
                                                std::string_view latest_frame_json);

// Records `next`, made from `from`, as the identity's latest frame (address
// and JSON). Call it before handing `next` out: if recording fails, `next`
// must not be used.
[[nodiscard]] Status record_own_frame(SecretStore& store, const OwnFrame& from, const IbGib& next);

// The records a sign or revoke hands out: the adopted frame if any, then
// `next`, in dependency order.
[[nodiscard]] std::vector<std::string> frames_made(const OwnFrame& from, const IbGib& next);

}  // namespace gibkit::signer_support
