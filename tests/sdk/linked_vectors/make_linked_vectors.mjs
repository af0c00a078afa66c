// Writes records.jsonl: timelines made by the JavaScript reference (ts-gib's
// fork, mut8 and rel8) with `linkedRel8ns`, which the shared vectors
// (../shared/vectors) do not cover. Each frame is followed by its dna record,
// as in the shared vectors, so tests/sdk/transforms_test.cc replays them.
//
//   npm install ts-gib@0.4.1   # in a scratch folder, then:
//   node make_linked_vectors.mjs /path/to/ts-gib-esm/V1/index.js > records.jsonl
//
// ts-gib 0.4.1 ships ES modules with extensionless relative imports, which
// node only loads once ".js" is added to them (a copy of dist/ with
// {"type":"module"} and the imports rewritten); its gib is the legacy
// sha256v1 (no key normalization). The options are written in the order the
// gibkit SDK writes them into dna data, so dna records compare byte for byte.
const V1 = await import(process.argv[2]);
const { fork, mut8, rel8 } = V1;

const out = [];
const emit = (result) => {
  out.push(result.newIbGib);
  for (const dna of result.dnas ?? []) out.push(dna);
};
const addr = (ibGib) => `${ibGib.ib}^${ibGib.gib}`;
const root = { ib: 'ib', gib: 'gib' };
const linked = ['past', 'dna'];

// A note as `gib fork --data` then `gib mut8` make it by default.
let note = await fork({ src: root, destIb: 'note', dna: true, tjp: { uuid: true, timestamp: true }, nCounter: true, linkedRel8ns: linked });
emit(note);
note = await mut8({ src: note.newIbGib, dna: true, nCounter: true, dataToAddOrPatch: { text: 'first' }, linkedRel8ns: linked });
emit(note);
for (let i = 0; i < 4; ++i) {
  note = await mut8({ src: note.newIbGib, dna: true, nCounter: true, dataToAddOrPatch: { text: `edit ${i}` }, linkedRel8ns: linked });
  emit(note);
}
note = await mut8({ src: note.newIbGib, dna: true, nCounter: true, dataToRename: { text: 'body' }, linkedRel8ns: linked });
emit(note);

// A tag timeline linking the note: rel8 keeps its other rel8ns whole.
let tag = await fork({ src: root, destIb: 'tag', dna: true, tjp: { uuid: true, timestamp: true }, nCounter: true, linkedRel8ns: linked });
emit(tag);
tag = await rel8({ src: tag.newIbGib, dna: true, nCounter: true, rel8nsToAddByAddr: { target: [addr(note.newIbGib)] }, linkedRel8ns: linked });
emit(tag);
tag = await rel8({ src: tag.newIbGib, dna: true, nCounter: true, rel8nsToAddByAddr: { target: [addr(root)] }, linkedRel8ns: linked });
emit(tag);
tag = await mut8({ src: tag.newIbGib, dna: true, nCounter: true, dataToAddOrPatch: { label: 'x' }, linkedRel8ns: linked });
emit(tag);

// Only past linked: dna accumulates (a deployment's linked_rel8ns: [past]).
let half = await fork({ src: root, destIb: 'half', dna: true, tjp: { uuid: true, timestamp: true }, nCounter: true, linkedRel8ns: ['past'] });
emit(half);
for (let i = 0; i < 3; ++i) {
  half = await mut8({ src: half.newIbGib, dna: true, nCounter: true, dataToAddOrPatch: { i }, linkedRel8ns: ['past'] });
  emit(half);
}

// A fork of a frame keeping its rel8ns, with ancestor linked.
let child = await fork({ src: note.newIbGib, destIb: 'child', dna: true, tjp: { uuid: true, timestamp: true }, nCounter: true, cloneRel8ns: true, linkedRel8ns: ['past', 'dna', 'ancestor'] });
emit(child);
child = await fork({ src: child.newIbGib, destIb: 'grandchild', dna: true, tjp: { uuid: true, timestamp: true }, nCounter: true, cloneRel8ns: true, linkedRel8ns: ['past', 'dna', 'ancestor'] });
emit(child);

for (const record of out) process.stdout.write(JSON.stringify(record) + '\n');
