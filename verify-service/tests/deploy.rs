//! The systemd unit shipped in `deploy/` starts the service this crate
//! builds: every option of its `ExecStart` is one the binary takes.

use std::process::Command;

/// The arguments of the unit's `ExecStart`, continuation lines joined.
fn exec_start(unit: &str) -> Vec<String> {
    let joined = unit.replace("\\\n", " ");
    let line = joined
        .lines()
        .find_map(|l| l.trim().strip_prefix("ExecStart="))
        .expect("the unit has an ExecStart line");
    line.split_whitespace().map(str::to_owned).collect()
}

#[test]
fn the_systemd_unit_names_only_options_the_service_takes() {
    let unit = include_str!("../deploy/verify-service.service");
    let args = exec_start(unit);
    assert!(
        args[0].ends_with("/verify-service"),
        "ExecStart runs {}",
        args[0]
    );
    assert!(args.iter().any(|a| a == "--state") && args.iter().any(|a| a == "--tokens"));
    // The unit's paths do not exist here: the binary must get past its
    // command line (status 2 is a wrong command line) and refuse the
    // missing files (status 1), naming one of them.
    let out = Command::new(env!("CARGO_BIN_EXE_verify-service"))
        .args(&args[1..])
        .env_remove("WATERMARK_STATE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("/etc/watermark/tokens") || stderr.contains("/var/lib/watermark"),
        "{stderr}"
    );
    // The hardening that keeps the service to its own directories.
    for line in [
        "User=watermark",
        "UMask=0077",
        "ReadWritePaths=/var/lib/watermark",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "KillSignal=SIGTERM",
    ] {
        assert!(unit.lines().any(|l| l.trim() == line), "missing {line}");
    }
}
