//! Text (iasl-style) and JSON views of decoded tables. (Filled in by the inspect work.)
