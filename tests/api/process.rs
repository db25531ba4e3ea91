//! Running the real binary as a child process (crash, restart, replica and image tests).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_assessment-relay");

/// A gateway process.
#[derive(Debug)]
pub struct Gateway {
    pub child: Child,
    pub port: u16,
    pub log: PathBuf,
}

/// A free loopback port (released before use; fine for tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Gateway {
    /// Starts `assessment-relay serve` with `env` (plus `RELAY_LISTEN_ADDR` on `port`), logging
    /// JSON lines to `log` (appended, so restarts keep one log).
    pub fn start(env: &BTreeMap<String, String>, port: u16, log: &Path) -> Gateway {
        Self::start_with(Command::new(BIN), env, port, log)
    }

    pub fn start_with(
        mut cmd: Command,
        env: &BTreeMap<String, String>,
        port: u16,
        log: &Path,
    ) -> Gateway {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let err = out.try_clone().unwrap();
        cmd.arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env)
            .env("RELAY_LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("RELAY_LOG_FORMAT", "json")
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        let child = cmd.spawn().expect("the binary starts");
        let g = Gateway {
            child,
            port,
            log: log.to_owned(),
        };
        g.wait_healthy(Duration::from_secs(30));
        g
    }

    fn wait_healthy(&self, within: Duration) {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!(
            "gateway on {} did not come up; log:\n{}",
            self.port,
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGKILL: no shutdown at all, as a crash or an OOM kill.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait (bounded) for the exit status.
    pub fn terminate(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(s)) = self.child.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        self.kill();
        None
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
