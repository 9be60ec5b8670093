//! Encryption at rest for JumpCloud credentials: AES-256-GCM with a random nonce per
//! value. The key comes from `LANYARD_SECRET_KEY` or from a key file that is created with
//! mode 0600 in the data directory on first start.

use std::path::Path;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use jumpcloud::Secret;

/// Sealed values start with this, so a future key or algorithm change can be told apart.
const VERSION: &str = "v1:";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("LANYARD_SECRET_KEY must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)")]
    BadKey,
    #[error("cannot read or create the key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    #[error("a stored secret cannot be decrypted: was the secret key changed?")]
    Undecryptable,
}

#[derive(Clone)]
pub struct Vault {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(..)")
    }
}

impl Vault {
    pub fn from_base64_key(encoded: &str) -> Result<Vault, VaultError> {
        let bytes = BASE64
            .decode(encoded.trim())
            .map_err(|_| VaultError::BadKey)?;
        if bytes.len() != 32 {
            return Err(VaultError::BadKey);
        }
        Ok(Vault {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)),
        })
    }

    /// The key from `configured` when given, else from `key_file`, which is created with
    /// a fresh random key (mode 0600) when it does not exist.
    pub fn load(configured: Option<&str>, key_file: &Path) -> Result<Vault, VaultError> {
        if let Some(encoded) = configured {
            return Vault::from_base64_key(encoded);
        }
        let io_error = |source| VaultError::KeyFile {
            path: key_file.display().to_string(),
            source,
        };
        match std::fs::read_to_string(key_file) {
            Ok(encoded) => Vault::from_base64_key(&encoded),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = Aes256Gcm::generate_key(OsRng);
                write_private(key_file, &BASE64.encode(key)).map_err(io_error)?;
                Ok(Vault {
                    cipher: Aes256Gcm::new(&key),
                })
            }
            Err(error) => Err(io_error(error)),
        }
    }

    pub fn seal(&self, plaintext: &str) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        // Encryption with a valid key and an in-memory buffer cannot fail.
        let ciphertext = self
            .cipher
            .encrypt(&nonce, plaintext.as_bytes())
            .unwrap_or_default();
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        format!("{VERSION}{}", BASE64.encode(sealed))
    }

    pub fn open(&self, sealed: &str) -> Result<Secret, VaultError> {
        let bytes = sealed
            .strip_prefix(VERSION)
            .and_then(|encoded| BASE64.decode(encoded).ok())
            .filter(|bytes| bytes.len() > NONCE_LEN)
            .ok_or(VaultError::Undecryptable)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plaintext = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| VaultError::Undecryptable)?;
        String::from_utf8(plaintext)
            .map(Secret::new)
            .map_err(|_| VaultError::Undecryptable)
    }
}

/// What the UI may show of a secret: its last four characters.
pub fn hint(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("…{tail}")
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sealed_values_round_trip_and_differ_each_time() {
        let vault = Vault::from_base64_key(&BASE64.encode([7u8; 32])).unwrap();
        let first = vault.seal("api-key-1234");
        let second = vault.seal("api-key-1234");
        assert_ne!(first, second, "a fresh nonce per value");
        assert!(!first.contains("api-key"));
        assert_eq!(vault.open(&first).unwrap().expose(), "api-key-1234");
    }

    #[test]
    fn another_key_or_tampering_cannot_open() {
        let vault = Vault::from_base64_key(&BASE64.encode([7u8; 32])).unwrap();
        let other = Vault::from_base64_key(&BASE64.encode([8u8; 32])).unwrap();
        let sealed = vault.seal("secret");
        assert!(other.open(&sealed).is_err());
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(vault.open(&String::from_utf8(tampered).unwrap()).is_err());
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(Vault::from_base64_key("not base64!").is_err());
        assert!(Vault::from_base64_key(&BASE64.encode([1u8; 16])).is_err());
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("lanyard-vault-{}", std::process::id()));
        let path = dir.join("secret.key");
        let _ = std::fs::remove_file(&path);
        let vault = Vault::load(None, &path).unwrap();
        let sealed = vault.seal("x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = Vault::load(None, &path).unwrap();
        assert_eq!(again.open(&sealed).unwrap().expose(), "x");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn hint_shows_last_four_only() {
        assert_eq!(hint("abcdefgh1234"), "…1234");
        assert_eq!(hint("ab"), "…ab");
    }
}
