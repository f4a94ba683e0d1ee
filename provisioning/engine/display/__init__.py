"""The engine's display: how sagas read to people (admin pages and actions,
the saga page, its timeline and story, the operations page, the summaries
the API shows). It reads the runtime's rows; the runtime never imports it
(import-linter checks this)."""
