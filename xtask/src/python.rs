//! The Python package's checks: a virtual environment of its own, the wheel built from the
//! workspace (`pip install ./crates/pop-py`, maturin), then its pytest suite.
//!
//! The environment lives in `target/py-venv` (rebuilt when missing; packages pinned in
//! `crates/pop-py/requirements-test.txt`). Python itself (>= 3.9 with `venv`/`ensurepip`) comes
//! from the system: on Debian/Ubuntu as root xtask installs `python3 python3-venv` when missing,
//! elsewhere it stops with the command to run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// Debian packages that give a Python with `venv` and `ensurepip`.
const DEBIAN_PACKAGES: &[&str] = &["python3", "python3-venv"];

/// The interpreter to build the environment from: `$POP_PYTHON`, else `python3`.
fn system_python() -> String {
    std::env::var("POP_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// `Some(version)` when `python` runs, is >= 3.9 and can create virtual environments with pip.
fn usable(python: &str) -> Option<String> {
    let out = Command::new(python)
        .args([
            "-c",
            "import sys, venv, ensurepip; assert sys.version_info >= (3, 9); print(sys.version.split()[0])",
        ])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn ensure_python() -> Result<String> {
    let python = system_python();
    if let Some(v) = usable(&python) {
        eprintln!("    {python} {v}");
        return Ok(python);
    }
    let install = crate::sysdeps::apt_command(DEBIAN_PACKAGES);
    if !(crate::sysdeps::is_debian_like() && crate::sysdeps::is_root()) {
        bail!(
            "the Python package's tests need Python >= 3.9 with venv and ensurepip (`{python}` has not).\n\
             On Debian/Ubuntu run:   sudo sh -c '{install}'\n\
             or point POP_PYTHON at such an interpreter, or skip them: cargo xtask test --no-python"
        );
    }
    let status = crate::sysdeps::apt_install(DEBIAN_PACKAGES)?;
    match usable(&python) {
        Some(v) if status.success() => {
            eprintln!("    {python} {v}");
            Ok(python)
        }
        _ => bail!(
            "installing {} failed ({status}) or `{python}` still cannot make a virtual environment; run `{install}` by hand",
            DEBIAN_PACKAGES.join(" ")
        ),
    }
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("could not start {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// Builds the environment and the wheel, then runs the package's pytest suite.
pub fn test(root: &Path) -> Result<()> {
    let all = Instant::now();
    let python = ensure_python()?;
    let venv = root.join("target").join("py-venv");
    let bin = venv.join("bin");
    let vpython: PathBuf = bin.join("python");
    let requirements = root.join("crates/pop-py/requirements-test.txt");
    let stamp = venv.join("requirements-test.txt");
    let wanted = std::fs::read_to_string(&requirements)
        .with_context(|| format!("reading {}", requirements.display()))?;
    let have = std::fs::read_to_string(&stamp).unwrap_or_default();
    if !vpython.exists() || have != wanted {
        let t = Instant::now();
        eprintln!("==> python: virtual environment {}", venv.display());
        run(
            Command::new(&python)
                .args(["-m", "venv", "--clear"])
                .arg(&venv),
            "python -m venv",
        )?;
        run(
            pip_install(&vpython).arg("-r").arg(&requirements),
            "pip install -r crates/pop-py/requirements-test.txt",
        )?;
        std::fs::write(&stamp, &wanted).context("writing the environment's stamp")?;
        eprintln!(
            "    environment ready in {:.0} s",
            t.elapsed().as_secs_f64()
        );
    }
    let t = Instant::now();
    eprintln!("==> python: pip install ./crates/pop-py (maturin, release build of the wheel)");
    run(
        pip_install(&vpython)
            .args([
                "--no-build-isolation",
                "--force-reinstall",
                "--no-deps",
                "./crates/pop-py",
            ])
            .current_dir(root)
            .env("PATH", path_with(&bin)),
        "pip install ./crates/pop-py",
    )?;
    eprintln!(
        "    wheel built and installed in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    eprintln!("==> python: pytest crates/pop-py/tests");
    // Run from the environment's folder so that nothing in the source tree shadows the installed
    // package.
    run(
        Command::new(&vpython)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(root.join("crates/pop-py/tests"))
            .current_dir(&venv)
            .env("PATH", path_with(&bin)),
        "pytest crates/pop-py/tests",
    )?;
    eprintln!(
        "    pytest in {:.0} s; the Python step took {:.0} s in all",
        t.elapsed().as_secs_f64(),
        all.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `python -m pip install --quiet` without pip's version nag; arguments follow.
fn pip_install(python: &Path) -> Command {
    let mut cmd = Command::new(python);
    cmd.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]);
    cmd
}

/// `PATH` with the environment's `bin` first (maturin and cargo's children find its Python).
fn path_with(bin: &Path) -> std::ffi::OsString {
    let mut paths = vec![bin.to_path_buf()];
    if let Some(p) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(paths).unwrap_or_default()
}
