//! Findings about ACPI NUMA tables: what is malformed, and what Linux will do with them.
//! (Filled in by the lint work.)
