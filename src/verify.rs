//! `vnuma verify`: compare what a running Linux guest shows with the plan.
//! (Filled in by the verify work.)
