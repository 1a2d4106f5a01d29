internal import CFile
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// One entry of a file's POSIX access ACL, as the kernel stores it in the
/// `system.posix_acl_access` extended attribute (version 2: a tag, permissions, an id).
struct AccessControlEntry: Equatable {
    enum Tag: UInt16 {
        case owner = 0x01, user = 0x02, owningGroup = 0x04, group = 0x08, mask = 0x10, others = 0x20
    }

    /// `nil` for a tag this code does not know (treated as unsafe by its readers).
    var tag: Tag?
    /// `rwx` as 4, 2, 1.
    var permissions: UInt16
    /// The uid of a `.user` entry, the gid of a `.group` entry.
    var id: UInt32
}

extension FileDescriptor {
    /// The file's access ACL; `nil` when it has none beyond its mode bits (or the file system
    /// keeps none).
    func accessControlList() throws(Errno) -> [AccessControlEntry]? {
        var bytes = [UInt8](repeating: 0, count: 4 + 8 * 64)
        let count = bytes.withUnsafeMutableBytes { tokenvault_read_access_acl(rawValue, $0.baseAddress, $0.count) }
        if count < 0 {
            let error = Errno(rawValue: errno)
            if error == .noData || error == .notSupported { return nil }
            throw error
        }
        func integer<T: FixedWidthInteger>(at offset: Int, as: T.Type) -> T {
            var value: T = 0
            for index in (0..<MemoryLayout<T>.size).reversed() { value = value << 8 | T(bytes[offset + index]) }
            return value
        }
        guard count >= 4, (count - 4) % 8 == 0, integer(at: 0, as: UInt32.self) == 2 else { throw .invalidArgument }
        return stride(from: 4, to: count, by: 8).map { offset in
            AccessControlEntry(
                tag: AccessControlEntry.Tag(rawValue: integer(at: offset, as: UInt16.self)),
                permissions: integer(at: offset + 2, as: UInt16.self),
                id: integer(at: offset + 4, as: UInt32.self)
            )
        }
    }
}
