// The launch plan: the contract between the TypeScript front end and the C++ launcher. Every
// decision is made here; the launcher only applies. The types are generated, with the launcher's
// structs and parsers, from src/contract/launcher.contract.json (scripts/build-contract.js): a
// field is added there, once. Documented in docs/launch-plan.md. This module is the import point.
export * from '../contract/generated/contract';
