const std = @import("std");

/// The greeting for `name`, written into `buffer`.
pub fn greeting(buffer: []u8, name: []const u8) ![]const u8 {
    return std.fmt.bufPrint(buffer, "hello, {s}", .{name});
}

pub fn main(init: std.process.Init) !void {
    var buffer: [64]u8 = undefined;
    var stdout_buffer: [256]u8 = undefined;
    var stdout_writer: std.Io.File.Writer = .init(.stdout(), init.io, &stdout_buffer);
    const stdout = &stdout_writer.interface;
    try stdout.print("{s}\n", .{try greeting(&buffer, "world")});
    try stdout.flush();
}

test "greeting" {
    var buffer: [64]u8 = undefined;
    try std.testing.expectEqualStrings("hello, zig", try greeting(&buffer, "zig"));
}
