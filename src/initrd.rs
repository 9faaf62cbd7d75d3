//! Linux initrd ACPI table upgrade: an uncompressed `newc` cpio holding
//! `kernel/firmware/acpi/*.aml`. (Filled in by the `vnuma initrd` work.)
