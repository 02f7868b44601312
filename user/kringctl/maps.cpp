// kringctl map: the entries of the Linux maps kring's programs use (their
// .maps and global data), dumped, looked up, updated and deleted as bpftool
// map does, keys and values in hex.
#include "commands.hpp"

#include <bpf/bpf.h>
#include <iostream>
#include <kring/hex.hpp>
#include <kring/json.hpp>
#include <kring/linux_map.hpp>

namespace kringctl {
namespace {

const char* const kMapUsage = "kringctl map dump MAP | lookup MAP --key HEX | update MAP --key HEX "
                              "--value HEX [--flags any|noexist|exist] | delete MAP --key HEX; "
                              "MAP is 'id N' or 'name NAME'";

// The map `words` name: "id N", or "name NAME" (a Linux map name, as
// bpftool map list shows it: globals.bss, counts...), which must be one
// map's only.
kring::LinuxMap find_map(const std::vector<std::string>& words) {
    if (words.size() != 3 || (words[1] != "id" && words[1] != "name"))
        throw po::error(std::string("usage: ") + kMapUsage);
    if (words[1] == "id") {
        size_t used = 0;
        unsigned long id = 0;
        try {
            id = std::stoul(words[2], &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (!used || used != words[2].size() || id > UINT32_MAX)
            throw po::error("map id " + words[2] + ": not a number");
        return kring::LinuxMap::from_id(static_cast<uint32_t>(id));
    }
    std::vector<uint32_t> ids;
    std::optional<kring::LinuxMap> found;
    for (uint32_t id = 0; bpf_map_get_next_id(id, &id) == 0;) {
        try {
            kring::LinuxMap map = kring::LinuxMap::from_id(id);
            if (map.info().name != words[2])
                continue;
            ids.push_back(id);
            found = std::move(map);
        } catch (const kring::Error& e) {
            if (e.errno_value() != ENOENT) // one freed while we looked is fine
                throw;
        }
    }
    if (errno == EPERM)
        throw kring::Error(EPERM, "listing maps needs CAP_SYS_ADMIN");
    if (ids.empty())
        throw kring::Error(ENOENT, "no map named " + words[2]);
    if (ids.size() > 1) {
        std::string list;
        for (uint32_t id : ids)
            list += (list.empty() ? "" : ", ") + std::to_string(id);
        throw kring::Error(EINVAL, "maps " + list + " are all named " + words[2] +
                                       ": name one with 'id N'");
    }
    return std::move(*found);
}

// The bytes of `hex` for a key or value of `size` bytes.
std::vector<std::byte> sized(const std::string& hex, const std::string& option, size_t size) {
    std::vector<std::byte> bytes = kring::parse_hex(hex, option);
    if (bytes.size() != size)
        throw po::error(option + ": " + std::to_string(bytes.size()) + " bytes; the map's are " +
                        std::to_string(size));
    return bytes;
}

void print_entry(std::span<const std::byte> key, std::span<const std::byte> value, bool json) {
    if (json)
        std::cout << "{\"key\":\"" << kring::to_hex(key) << "\",\"value\":\""
                  << kring::to_hex(value) << "\"}\n";
    else
        std::cout << "key: " << kring::to_hex(key) << "  value: " << kring::to_hex(value) << "\n";
}

uint64_t parse_flags(const std::string& flags) {
    if (flags == "any")
        return BPF_ANY;
    if (flags == "noexist")
        return BPF_NOEXIST;
    if (flags == "exist")
        return BPF_EXIST;
    throw po::error("--flags is any, noexist or exist");
}

} // namespace

int map_command(const std::vector<std::string>& args) {
    po::options_description opts(
        "kringctl map dump|lookup|update|delete MAP: options (MAP: 'id N' or 'name NAME', "
        "the Linux map's id or name as bpftool map list shows them; a per-CPU map's value is "
        "every possible CPU's, each padded to 8 bytes)");
    std::string key, value, flags;
    bool json = false;
    opts.add_options()("help,h", "this help")("key", po::value(&key), "the key, in hex")(
        "value", po::value(&value),
        "update: the value, in hex")("flags", po::value(&flags)->default_value("any"),
                                     "update: any, noexist (create only) or exist (replace only)")(
        "json", po::bool_switch(&json), "one JSON object per entry, per line");
    std::vector<std::string> words;
    if (!parse_args(args, opts, &words, -1))
        return 0;
    if (words.empty())
        throw po::error(std::string("usage: ") + kMapUsage);
    const std::string& verb = words[0];
    if (verb != "dump" && verb != "lookup" && verb != "update" && verb != "delete")
        throw po::error("map " + verb + ": the subcommands are dump, lookup, update and delete");
    if (verb != "dump" && key.empty())
        throw po::error("map " + verb + " needs --key");
    if (verb == "update" && value.empty())
        throw po::error("map update needs --value");
    uint64_t update_flags = parse_flags(flags);
    kring::LinuxMap map = find_map(words);
    bpf_map_info info = map.info();
    if (verb == "dump") {
        for (auto k = map.next_key(nullptr); k; k = map.next_key(&*k))
            if (auto v = map.lookup(*k))
                print_entry(*k, *v, json);
        return 0;
    }
    std::vector<std::byte> key_bytes = sized(key, "--key", info.key_size);
    if (verb == "lookup") {
        auto v = map.lookup(key_bytes);
        if (!v)
            throw kring::Error(ENOENT, "no entry with key " + kring::to_hex(key_bytes));
        print_entry(key_bytes, *v, json);
    } else if (verb == "update") {
        map.update(key_bytes, sized(value, "--value", map.value_bytes()), update_flags);
    } else if (info.type == BPF_MAP_TYPE_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_ARRAY) {
        throw kring::Error(EINVAL, "map delete: an array's entries cannot be deleted, only "
                                   "updated (every index exists)");
    } else {
        map.remove(key_bytes);
    }
    return 0;
}

} // namespace kringctl
