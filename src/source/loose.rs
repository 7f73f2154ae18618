//! Loose git objects, read by leakhound instead of libgit2.
//!
//! libgit2 1.9, the version the git2 crate bundles, loops forever on a truncated loose object
//! (libgit2 issue 7342, fixed after 1.9.7): one damaged file under `.git/objects` hung every
//! scan that touched it, in libgit2's own revision walk and diff as much as in leakhound's
//! reads. So each repository handle leakhound opens gets an object-database backend of its own
//! ([`guard`]), consulted before libgit2's loose backend: it inflates a loose object with
//! flate2 and checks it against its header ([`inflate`]), and a damaged one is an error that
//! names the object (the scan reports it as `corrupt-object` and goes on). Packed objects, and
//! objects that are not there, are left to libgit2's other backends.
//!
//! This is the one place where leakhound talks to libgit2's C interface: a struct of callbacks
//! that libgit2 owns once it is added, and frees with the object database. It can go when git2
//! bundles a libgit2 with the fix.

use std::ffi::{c_char, c_int, c_void, CString};
use std::path::PathBuf;

use flate2::{Decompress, FlushDecompress, Status};
use git2::{ObjectType, Repository};
use libgit2_sys as raw;

/// The longest header a loose object can have: `commit ` and a 20-digit size.
const HEADER_MAX: usize = 32;
/// What deflate can expand a byte into, at most (zlib's bound is about 1032:1): a header that
/// promises more than that of its file is lying, and nothing is allocated for it.
const MAX_RATIO: usize = 1100;
/// Above libgit2's packed backend (2, which finds packed objects without touching the disk)
/// in a stable sort, and so above its loose backend (1).
const PRIORITY: c_int = 2;
/// Hexadecimal digits in a SHA-1 object id.
const HEX_LEN: usize = 40;

/// Inflates a loose object file (`<type> <size>\0<content>`, zlib-compressed): its type and
/// content, or why it is damaged. The whole zlib stream is checked (truncation, its checksum,
/// bytes after it) and the content must have the size the header gives.
pub fn inflate(file: &[u8]) -> Result<(ObjectType, Vec<u8>), String> {
    let mut z = Decompress::new(true);
    let mut head = [0u8; HEADER_MAX];
    let mut ended = false;
    let header_end = loop {
        let done = z.total_out() as usize;
        if let Some(nul) = memchr::memchr(0, &head[..done]) {
            break nul;
        }
        if done == HEADER_MAX || ended {
            return Err("malformed object header".to_string());
        }
        let before = (z.total_in(), z.total_out());
        let status = z
            .decompress(
                &file[z.total_in() as usize..],
                &mut head[done..],
                FlushDecompress::None,
            )
            .map_err(|e| format!("damaged zlib data: {e}"))?;
        ended = status == Status::StreamEnd;
        if !ended && (z.total_in(), z.total_out()) == before {
            return Err("truncated (the compressed data ends early)".to_string());
        }
    };
    let (kind, size) = parse_header(&head[..header_end])?;
    if size
        > file
            .len()
            .saturating_mul(MAX_RATIO)
            .saturating_add(HEADER_MAX)
    {
        return Err(format!(
            "its header promises {size} bytes, more than {} compressed bytes can hold",
            file.len()
        ));
    }
    // Room for one byte more than the header says, to tell "too long" from "just right"; grown
    // as the content comes, not allocated at once for what the header claims.
    let room = size + 1;
    let mut body = Vec::with_capacity(room.min(file.len().saturating_mul(4) + 4096));
    body.extend_from_slice(&head[header_end + 1..z.total_out() as usize]);
    while !ended && body.len() <= size {
        if body.len() == body.capacity() {
            let grown = body.capacity().saturating_mul(2).clamp(4096, room);
            body.reserve_exact(grown - body.len());
        }
        let before = (z.total_in(), z.total_out());
        let status = z
            .decompress_vec(
                &file[z.total_in() as usize..],
                &mut body,
                FlushDecompress::None,
            )
            .map_err(|e| format!("damaged zlib data: {e}"))?;
        ended = status == Status::StreamEnd;
        if !ended && (z.total_in(), z.total_out()) == before {
            // There was room in the buffer, so no progress means that the input is used up.
            return Err("truncated (the compressed data ends early)".to_string());
        }
    }
    if body.len() != size {
        return Err(format!(
            "its header says {size} bytes, its content has {}{}",
            body.len(),
            if ended { "" } else { " or more" }
        ));
    }
    if (z.total_in() as usize) < file.len() {
        return Err("bytes after the end of its compressed data".to_string());
    }
    Ok((kind, body))
}

/// `blob 1234` → (blob, 1234).
fn parse_header(header: &[u8]) -> Result<(ObjectType, usize), String> {
    let bad = || "malformed object header".to_string();
    let text = std::str::from_utf8(header).map_err(|_| bad())?;
    let (kind, size) = text.split_once(' ').ok_or_else(bad)?;
    let kind = match kind {
        "blob" => ObjectType::Blob,
        "tree" => ObjectType::Tree,
        "commit" => ObjectType::Commit,
        "tag" => ObjectType::Tag,
        _ => return Err(bad()),
    };
    if size.is_empty() || !size.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let size = size.parse().map_err(|_| bad())?;
    Ok((kind, size))
}

/// The directories loose objects of `repo` live in: its own, and those of its alternates (one
/// level; libgit2 reads loose objects of deeper alternates itself).
fn object_dirs(repo: &Repository) -> Vec<PathBuf> {
    let own = repo.commondir().join("objects");
    let mut dirs = vec![own.clone()];
    if let Ok(list) = std::fs::read_to_string(own.join("info/alternates")) {
        for line in list.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            dirs.push(own.join(line));
        }
    }
    dirs
}

/// Gives `repo`'s object database the backend that reads loose objects (see the module
/// documentation). Every handle leakhound opens goes through this.
pub fn guard(repo: &Repository) -> Result<(), git2::Error> {
    // git2 does not hand out a repository's raw pointer, but a reference knows its owner.
    let head = repo.find_reference("HEAD")?;
    let dirs = object_dirs(repo);
    // SAFETY: `head.raw()` is a live reference of `repo`, so its owner is `repo`'s raw handle,
    // alive for this call. `git_repository_odb` returns a counted reference to the object
    // database, released below. The backend is a `Backend` whose first field is the C struct,
    // initialised by libgit2 and then given our callbacks; once added, libgit2 owns it and calls
    // `free` with it exactly once, so it is freed here only when adding fails.
    unsafe {
        let repo_raw = git_reference_owner(head.raw());
        let mut odb = std::ptr::null_mut();
        check(raw::git_repository_odb(&mut odb, repo_raw))?;
        let backend = Box::into_raw(Box::new(Backend {
            parent: std::mem::zeroed(),
            dirs,
        }));
        let mut added = check(raw::git_odb_init_backend(
            &mut (*backend).parent,
            raw::GIT_ODB_BACKEND_VERSION,
        ));
        if added.is_ok() {
            (*backend).parent.read = Some(backend_read);
            (*backend).parent.read_prefix = Some(backend_read_prefix);
            (*backend).parent.free = Some(backend_free);
            added = check(raw::git_odb_add_backend(
                odb,
                backend.cast::<raw::git_odb_backend>(),
                PRIORITY,
            ));
        }
        if added.is_err() {
            drop(Box::from_raw(backend));
        }
        raw::git_odb_free(odb);
        added
    }
}

extern "C" {
    /// Part of libgit2's public interface, which libgit2-sys does not declare.
    fn git_reference_owner(reference: *const raw::git_reference) -> *mut raw::git_repository;
}

fn check(code: c_int) -> Result<(), git2::Error> {
    if code < 0 {
        Err(git2::Error::last_error(code))
    } else {
        Ok(())
    }
}

/// The backend: libgit2's struct of callbacks first (libgit2 hands a pointer to it back to each
/// callback), then what the callbacks need.
#[repr(C)]
struct Backend {
    parent: raw::git_odb_backend,
    dirs: Vec<PathBuf>,
}

/// What looking an object up in the loose directories came to.
enum Found {
    /// Not a loose object here: libgit2's other backends may have it.
    No,
    Object(ObjectType, Vec<u8>),
    Damaged(String),
}

impl Backend {
    /// The loose object with the hexadecimal id `hex`.
    fn read(&self, hex: &str) -> Found {
        for dir in &self.dirs {
            let path = dir.join(&hex[..2]).join(&hex[2..]);
            match std::fs::read(&path) {
                Ok(file) => {
                    return match inflate(&file) {
                        Ok((kind, data)) => Found::Object(kind, data),
                        Err(why) => Found::Damaged(why),
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Found::Damaged(format!("cannot read {}: {e}", path.display())),
            }
        }
        Found::No
    }

    /// The ids of the loose objects starting with `prefix` (at least two digits), each once.
    fn matching(&self, prefix: &str) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for dir in &self.dirs {
            let Ok(entries) = std::fs::read_dir(dir.join(&prefix[..2])) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(rest) = name.to_str() else { continue };
                let id = format!("{}{rest}", &prefix[..2]);
                if id.len() == HEX_LEN
                    && id.starts_with(prefix)
                    && id.bytes().all(|b| b.is_ascii_hexdigit())
                    && !ids.contains(&id)
                {
                    ids.push(id);
                }
            }
        }
        ids
    }
}

fn hex_of(oid: &raw::git_oid, digits: usize) -> String {
    let mut hex = String::with_capacity(HEX_LEN);
    for b in &oid.id[..raw::GIT_OID_SHA1_SIZE] {
        hex.push_str(&format!("{b:02x}"));
    }
    hex.truncate(digits.min(HEX_LEN));
    hex
}

fn raw_kind(kind: ObjectType) -> raw::git_object_t {
    match kind {
        ObjectType::Commit => raw::GIT_OBJECT_COMMIT,
        ObjectType::Tree => raw::GIT_OBJECT_TREE,
        ObjectType::Tag => raw::GIT_OBJECT_TAG,
        _ => raw::GIT_OBJECT_BLOB,
    }
}

/// Sets libgit2's error message; `code` is returned.
fn fail(code: c_int, message: &str) -> c_int {
    let message = CString::new(message.replace('\0', " ")).unwrap_or_default();
    // SAFETY: libgit2 copies the NUL-terminated message.
    unsafe {
        raw::git_error_set_str(
            raw::GIT_ERROR_ODB as c_int,
            message.as_ptr() as *const c_char,
        );
    }
    code
}

/// Hands a found object to libgit2, in a buffer libgit2 allocates (and frees); damage is an
/// error naming the object.
///
/// # Safety
/// The out-pointers are libgit2's, valid for writing; `backend` is ours.
unsafe fn deliver(
    found: Found,
    hex: &str,
    backend: *mut raw::git_odb_backend,
    data_p: *mut *mut c_void,
    len_p: *mut usize,
    type_p: *mut raw::git_object_t,
) -> c_int {
    match found {
        Found::No => raw::GIT_ENOTFOUND,
        Found::Damaged(why) => fail(
            raw::GIT_ERROR,
            &format!("loose object {hex} is damaged: {why}"),
        ),
        Found::Object(kind, data) => {
            // One byte more, NUL, as libgit2's own loose backend leaves it.
            let buffer = raw::git_odb_backend_data_alloc(backend, data.len() + 1).cast::<u8>();
            if buffer.is_null() {
                return fail(raw::GIT_ERROR, "out of memory reading a loose object");
            }
            std::ptr::copy_nonoverlapping(data.as_ptr(), buffer, data.len());
            *buffer.add(data.len()) = 0;
            *data_p = buffer.cast::<c_void>();
            *len_p = data.len();
            *type_p = raw_kind(kind);
            0
        }
    }
}

extern "C" fn backend_read(
    data_p: *mut *mut c_void,
    len_p: *mut usize,
    type_p: *mut raw::git_object_t,
    backend: *mut raw::git_odb_backend,
    oid: *const raw::git_oid,
) -> c_int {
    // SAFETY: libgit2 calls with the backend it was given (a `Backend`), a valid id and valid
    // out-pointers.
    unsafe {
        let this = &*(backend as *const Backend);
        let hex = hex_of(&*oid, HEX_LEN);
        deliver(this.read(&hex), &hex, backend, data_p, len_p, type_p)
    }
}

extern "C" fn backend_read_prefix(
    out_oid: *mut raw::git_oid,
    data_p: *mut *mut c_void,
    len_p: *mut usize,
    type_p: *mut raw::git_object_t,
    backend: *mut raw::git_odb_backend,
    short_oid: *const raw::git_oid,
    digits: usize,
) -> c_int {
    // SAFETY: as for `backend_read`; `out_oid` is valid for writing.
    unsafe {
        let this = &*(backend as *const Backend);
        let prefix = hex_of(&*short_oid, digits);
        if prefix.len() < 2 {
            return raw::GIT_ENOTFOUND;
        }
        let ids = this.matching(&prefix);
        let [hex] = ids.as_slice() else {
            return if ids.is_empty() {
                raw::GIT_ENOTFOUND
            } else {
                fail(
                    raw::GIT_EAMBIGUOUS,
                    &format!("object id prefix {prefix} is ambiguous"),
                )
            };
        };
        let Ok(id) = git2::Oid::from_str(hex) else {
            return raw::GIT_ENOTFOUND;
        };
        let code = deliver(this.read(hex), hex, backend, data_p, len_p, type_p);
        if code == 0 {
            let out = &mut *out_oid;
            out.id[..raw::GIT_OID_SHA1_SIZE].copy_from_slice(id.as_bytes());
        }
        code
    }
}

extern "C" fn backend_free(backend: *mut raw::git_odb_backend) {
    // SAFETY: libgit2 frees each backend once, with the pointer `guard` made from a Box.
    unsafe { drop(Box::from_raw(backend.cast::<Backend>())) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(data).unwrap();
        z.finish().unwrap()
    }

    fn object(kind: &str, body: &[u8]) -> Vec<u8> {
        let mut raw = format!("{kind} {}\0", body.len()).into_bytes();
        raw.extend_from_slice(body);
        deflate(&raw)
    }

    #[test]
    fn whole_objects_inflate() {
        let body: Vec<u8> = (0..20_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let (kind, data) = inflate(&object("blob", &body)).unwrap();
        assert_eq!((kind, data), (ObjectType::Blob, body));
        assert_eq!(
            inflate(&object("tree", b"")).unwrap(),
            (ObjectType::Tree, Vec::new())
        );
        let (kind, _) = inflate(&object("commit", b"tree 0\n")).unwrap();
        assert_eq!(kind, ObjectType::Commit);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_loop() {
        let body: Vec<u8> = (0..3000).map(|i| (i * 7 % 251) as u8).collect();
        let file = object("blob", &body);
        for len in 0..file.len() {
            assert!(
                inflate(&file[..len]).is_err(),
                "cut at {len} of {}",
                file.len()
            );
        }
    }

    #[test]
    fn damage_is_named() {
        let file = object("blob", &[b'x'; 500]);
        let mut flipped = file.clone();
        let at = flipped.len() / 2;
        flipped[at] ^= 0x55;
        assert!(inflate(&flipped).is_err());
        let mut longer = file.clone();
        longer.push(0);
        assert!(inflate(&longer).unwrap_err().contains("after the end"));
        let lying = deflate(b"blob 10\0only five");
        assert!(inflate(&lying).unwrap_err().contains("header says 10"));
        let short = deflate(b"blob 99\0short");
        assert!(inflate(&short).unwrap_err().contains("header says 99"));
        assert!(inflate(&deflate(b"blob x\0")).is_err());
        assert!(inflate(&deflate(b"weird 1\0a")).is_err());
        assert!(inflate(&deflate(&[b'a'; 100])).is_err(), "no header");
        let bomb = deflate(b"blob 99999999999999\0");
        assert!(inflate(&bomb).unwrap_err().contains("promises"));
        assert!(inflate(b"not zlib at all").is_err());
    }

    #[test]
    fn a_guarded_repository_reads_loose_objects_and_names_damaged_ones() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let odb = repo.odb().unwrap();
        let good = odb.write(ObjectType::Blob, b"hello, world\n").unwrap();
        let body: Vec<u8> = (0..4000).map(|i| (i * 13 % 251) as u8).collect();
        let bad = odb.write(ObjectType::Blob, &body).unwrap();
        drop(odb);
        let hex = bad.to_string();
        let path = dir.path().join("objects").join(&hex[..2]).join(&hex[2..]);
        let file = std::fs::read(&path).unwrap();
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&path, perms).unwrap();
        std::fs::write(&path, &file[..file.len() / 2]).unwrap();

        let repo = Repository::open(dir.path()).unwrap();
        guard(&repo).unwrap();
        let odb = repo.odb().unwrap();
        assert_eq!(odb.read(good).unwrap().data(), b"hello, world\n");
        let Err(err) = odb.read(bad) else {
            panic!("a truncated object must not read")
        };
        assert!(
            err.message()
                .contains(&format!("loose object {bad} is damaged")),
            "{}",
            err.message()
        );
        let short = repo.revparse_single(&good.to_string()[..7]).unwrap();
        assert_eq!(short.id(), good);
        assert!(repo.revparse_single(&bad.to_string()[..8]).is_err());
        let missing = git2::Oid::from_bytes(&[7; 20]).unwrap();
        let Err(err) = odb.read(missing) else {
            panic!("not there")
        };
        assert_eq!(err.code(), git2::ErrorCode::NotFound);
    }
}
