// Package synth makes synthetic archives for tests, benchmarks and the demo: Jilin's
// cities and counties, expropriation projects named as they are (…片区棚户区改造项目,
// …旧城区改建项目), every document type of the catalogue in the order of the
// procedure with its dates, document numbers (长府征字〔2024〕3号, with the brackets
// people use), archival codes, abstracts, keywords, per-household documents and a
// publication state. It is deterministic from a seed and streams: a million records
// need one project's records in memory at a time.
//
// The names of people and addresses are made up; so are the abbreviations of
// governments in document numbers where the real one is not well known.
package synth
