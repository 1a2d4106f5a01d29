internal import CFile
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The calls swift-system does not wrap yet, named the way it names its own.

extension FileDescriptor {
    /// `fsync(2)`: the file's data and metadata reach stable storage.
    func sync() throws(Errno) {
        try Self.retrying { fsync(rawValue) }
    }

    /// `flock(2)` with `LOCK_EX | LOCK_NB`: `true` when taken, `false` when another holder has it.
    func tryLockExclusive() throws(Errno) -> Bool {
        while true {
            if flock(rawValue, LOCK_EX | LOCK_NB) == 0 { return true }
            let error = Errno(rawValue: errno)
            if error == .wouldBlock { return false }
            if error != .interrupted { throw error }
        }
    }

    /// `flock(2)` with `LOCK_UN`.
    func unlock() {
        _ = flock(rawValue, LOCK_UN)
    }

    /// `fchmod(2)`.
    func setPermissions(_ permissions: FilePermissions) throws(Errno) {
        try Self.retrying { fchmod(rawValue, permissions.rawValue) }
    }

    /// Writes every byte, retrying short writes.
    package func writeAll(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            do {
                offset += try write(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            } catch let error as Errno {
                throw error
            } catch {
                throw Errno.ioError
            }
        }
    }

    /// Writes every byte at `offset` (`pwrite(2)`), retrying short writes; the file offset stays.
    func writeAll(_ bytes: UnsafeRawBufferPointer, toAbsoluteOffset offset: Int) throws(Errno) {
        var done = 0
        while done < bytes.count {
            do {
                done += try write(toAbsoluteOffset: Int64(offset + done), UnsafeRawBufferPointer(rebasing: bytes[done...]))
            } catch let error as Errno {
                throw error
            } catch {
                throw Errno.ioError
            }
        }
    }

    /// `sync_file_range(2)` with `SYNC_FILE_RANGE_WRITE`: starts writing the range's dirty pages
    /// to the device without waiting for them. Only a head start for a later `sync()`, which
    /// alone makes them durable, so a failure is ignored.
    func startWriteback(offset: Int, count: Int) {
        _ = tokenvault_start_writeback(rawValue, Int64(offset), Int64(count))
    }

    /// Reads until end of file into `buffer`; the number of bytes read. Throws `.fileTooLarge`
    /// when the file holds more than the buffer.
    func readAll(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        var total = 0
        while true {
            let room = UnsafeMutableRawBufferPointer(rebasing: buffer[total...])
            let count: Int
            do {
                count = room.isEmpty ? try probeForMore() : try read(into: room)
            } catch let error as Errno {
                throw error
            } catch {
                throw Errno.ioError
            }
            if count == 0 { return total }
            if room.isEmpty { throw Errno.fileTooLarge }
            total += count
        }
    }

    private func probeForMore() throws -> Int {
        var probe: UInt8 = 0
        return try withUnsafeMutableBytes(of: &probe) { try read(into: $0) }
    }

    static func retrying(_ call: () -> CInt) throws(Errno) {
        while call() != 0 {
            let error = Errno(rawValue: errno)
            if error != .interrupted { throw error }
        }
    }
}

extension FilePath {
    /// `rename(2)`: atomically replaces `destination`.
    func rename(to destination: FilePath) throws(Errno) {
        try FileDescriptor.retrying {
            withPlatformString { source in destination.withPlatformString { Glibc.rename(source, $0) } }
        }
    }

    /// `unlink(2)`.
    func unlink() throws(Errno) {
        try FileDescriptor.retrying { withPlatformString { Glibc.unlink($0) } }
    }

    /// `mkdir(2)`.
    func makeDirectory(permissions: FilePermissions) throws(Errno) {
        try FileDescriptor.retrying { withPlatformString { mkdir($0, permissions.rawValue) } }
    }

    /// `mkdir -p` with mode 0700 for every folder it creates; existing folders are left as they are.
    func createDirectories() throws(FileError) {
        if (try? stat()) != nil { return }
        var parent = self
        if parent.removeLastComponent(), !parent.isEmpty { try parent.createDirectories() }
        do {
            try makeDirectory(permissions: .ownerReadWriteExecute)
        } catch {
            if error != .fileExists { throw .io(path: string, operation: "create folder", error) }
        }
    }

    /// The names in this directory (`opendir(3)`/`readdir(3)`), without `.` and `..`.
    func directoryEntries() throws(Errno) -> [String] {
        guard let directory = withPlatformString({ opendir($0) }) else { throw Errno(rawValue: errno) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

/// The effective user id, to compare file owners against.
var currentUserID: UserID { UserID(rawValue: geteuid()) }
