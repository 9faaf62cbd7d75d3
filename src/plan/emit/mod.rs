//! Emitters: a [`super::GuestPlan`] written for one VMM or tool.

pub mod cloud_hypervisor;
pub mod libvirt;
