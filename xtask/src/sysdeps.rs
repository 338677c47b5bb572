//! System packages the workspace needs, installed when missing.
//!
//! `pop-prior` computes Cholesky factorisations through `ndarray-linalg`, which links the system
//! OpenBLAS (`libopenblas-dev` on Debian/Ubuntu). When it is missing, xtask installs it with
//! apt-get if it runs as root on Debian/Ubuntu, and otherwise stops with the exact command to run.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Debian packages required to build and test the workspace.
const DEBIAN_PACKAGES: &[&str] = &["libopenblas-dev"];

/// Directories where a linkable `libopenblas.so` lives on common distributions.
const LIB_DIRS: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/lib",
];

fn openblas_present() -> bool {
    LIB_DIRS
        .iter()
        .any(|d| Path::new(d).join("libopenblas.so").exists())
}

pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

pub(crate) fn is_debian_like() -> bool {
    Path::new("/etc/debian_version").exists()
}

/// The apt-get command line that installs `packages`.
pub(crate) fn apt_command(packages: &[&str]) -> String {
    format!(
        "apt-get update && apt-get install -y --no-install-recommends {}",
        packages.join(" ")
    )
}

/// Runs [`apt_command`] non-interactively (the caller checks root and Debian first).
pub(crate) fn apt_install(packages: &[&str]) -> Result<std::process::ExitStatus> {
    eprintln!("==> installing system packages: {}", packages.join(" "));
    Command::new("sh")
        .args([
            "-c",
            &format!("DEBIAN_FRONTEND=noninteractive {}", apt_command(packages)),
        ])
        .status()
        .context("could not run apt-get")
}

/// Makes sure every system package is present.
pub fn ensure() -> Result<()> {
    if openblas_present() {
        return Ok(());
    }
    let install = apt_command(DEBIAN_PACKAGES);
    if !(is_debian_like() && is_root()) {
        bail!(
            "OpenBLAS (needed by ndarray-linalg in pop-prior) is missing.\n\
             On Debian/Ubuntu run:   sudo sh -c '{install}'\n\
             On Fedora:              sudo dnf install openblas-devel\n\
             then run this command again."
        );
    }
    let status = apt_install(DEBIAN_PACKAGES)?;
    if !status.success() || !openblas_present() {
        bail!(
            "installing {} failed ({status}); run `{install}` by hand",
            DEBIAN_PACKAGES.join(" ")
        );
    }
    Ok(())
}
