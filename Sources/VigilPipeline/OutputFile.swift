import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Opens output files the way a shell redirection does.
public enum OutputFile {
    /// `path` opened for writing, created (mode 0644 less the umask) or truncated, written in
    /// place: a symlink, a FIFO or a device such as `/dev/null` stays what it is.
    /// (`FileManager.createFile` writes a temporary file and renames it over `path`, which
    /// replaced `/dev/null` itself with a regular file when run as root.)
    /// - Throws: `PipelineError.cannotWrite` with the system's reason.
    public static func open(_ path: String) throws -> FileHandle {
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw PipelineError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }
}
