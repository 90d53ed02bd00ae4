//! System packages the checks need beyond Rust: found on the machine, or installed with
//! apt-get (as root, or through password-less sudo) on Debian and Ubuntu.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::{Result, have, run};

/// A Debian package and how to tell that what it provides is already here.
pub struct Need {
    pub packages: &'static [&'static str],
    pub why: &'static str,
    pub present: fn() -> bool,
}

fn lavapipe_present() -> bool {
    let dir = Path::new("/usr/share/vulkan/icd.d");
    std::fs::read_dir(dir)
        .is_ok_and(|entries| entries.flatten().any(|e| e.file_name().to_string_lossy().starts_with("lvp_icd")))
}

fn libvulkan_present() -> bool {
    Command::new("ldconfig")
        .arg("-p")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("libvulkan.so.1"))
}

pub const NODE: Need =
    Need { packages: &["nodejs"], why: "runs the wasm build of the core", present: || have("node", &["--version"]) };
pub const NPM: Need =
    Need { packages: &["npm"], why: "installs wasm-opt (binaryen)", present: || have("npm", &["--version"]) };
pub const PYTHON_VENV: Need = Need {
    packages: &["python3", "python3-venv"],
    why: "the AWS export checks install boto3, moto and cfn-lint into a venv",
    present: || have("python3", &["-m", "venv", "--help"]),
};
pub const CHROMIUM: Need = Need {
    packages: &["chromium"],
    why: "the browser tests",
    present: || have("chromium", &["--version"]) || have("chromium-browser", &["--version"]),
};
pub const CHROMEDRIVER: Need = Need {
    packages: &["chromium-driver"],
    why: "drives Chromium in the browser tests",
    present: || have("chromedriver", &["--version"]),
};
pub const OPENSSL: Need = Need {
    packages: &["libssl-dev", "pkg-config"],
    why: "the browser tests' WebDriver client links OpenSSL",
    present: || have("pkg-config", &["--exists", "openssl"]),
};
pub const LAVAPIPE: Need = Need {
    packages: &["mesa-vulkan-drivers"],
    why: "the GPU tests run every kernel on Mesa's lavapipe (Vulkan on the CPU) without a GPU",
    present: lavapipe_present,
};
pub const LIBVULKAN: Need =
    Need { packages: &["libvulkan1"], why: "the Vulkan loader wgpu opens", present: libvulkan_present };

/// Everything `cargo xtask test` needs.
pub const FOR_TESTS: &[Need] = &[NODE, NPM, PYTHON_VENV, CHROMIUM, CHROMEDRIVER, OPENSSL, LAVAPIPE, LIBVULKAN];

/// Installs the packages of `needs` that are missing, saying which and why; fails with the
/// command to run where apt-get is missing or needs a password.
pub fn ensure(needs: &[Need]) -> Result {
    let missing: Vec<&Need> = needs.iter().filter(|n| !(n.present)()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let packages: Vec<&str> = missing.iter().flat_map(|n| n.packages.iter().copied()).collect();
    for n in &missing {
        println!("    missing {}: {}", n.packages.join(" "), n.why);
    }
    let command = format!("apt-get install {}", packages.join(" "));
    if !have("apt-get", &["--version"]) {
        return Err(format!("install these packages with your system's package manager (on Debian: {command})"));
    }
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let sudo = !root && have("sudo", &["-n", "true"]);
    if !root && !sudo {
        return Err(format!("installing packages needs root: run `sudo {command}`, then this again"));
    }
    let apt = |args: &[&str]| {
        let mut c = if sudo {
            let mut c = Command::new("sudo");
            c.args(["-n", "apt-get"]);
            c
        } else {
            Command::new("apt-get")
        };
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    println!("    installing Debian packages: {} (about 1 to 3 minutes, once per machine)", packages.join(" "));
    let t = Instant::now();
    run(apt(&["update", "-qq"]))?;
    let mut args = vec!["install", "-y", "-qq"];
    args.extend(&packages);
    run(apt(&args))?;
    let still: Vec<&str> = missing.iter().filter(|n| !(n.present)()).flat_map(|n| n.packages.iter().copied()).collect();
    if !still.is_empty() {
        return Err(format!("installed, yet still not found: {}", still.join(" ")));
    }
    println!("    installed in {:.0} s", t.elapsed().as_secs_f64());
    Ok(())
}
