// kringctl ring list, prog list and link list: what the module holds; and
// run --pin, which leaves a run's programs attached under names.
#include "commands.hpp"
#include "format.hpp"

#include <cstdio>
#include <iostream>
#include <kring/program.hpp>
#include <map>
#include <set>

namespace kringctl {

namespace {

// "pinned NAME" and how many more names it has, or "" if none.
std::string pinned_text(uint32_t nr_pinned, const std::string& first) {
    if (!nr_pinned)
        return "";
    std::string text = ", pinned " + first;
    if (nr_pinned > 1)
        text += " (and " + std::to_string(nr_pinned - 1) + " more names)";
    return text;
}

std::string pinned_json(uint32_t nr_pinned, const std::string& first) {
    return ",\"pinned\":" + (nr_pinned ? json_string(first) : std::string("null")) +
           ",\"pinned_names\":" + std::to_string(nr_pinned);
}

void print_ring(const kring_ring_info& r, bool json) {
    const kring_stats& s = r.stats;
    std::string pinned = kring::field_string(r.pinned);
    char cookie[32];
    snprintf(cookie, sizeof(cookie), "%#llx", static_cast<unsigned long long>(r.cookie));
    if (json)
        std::cout << "{\"id\":" << r.id << ",\"size\":" << r.data_size << ",\"cookie\":" << r.cookie
                  << ",\"producer_pos\":" << r.producer_pos
                  << ",\"consumer_pos\":" << r.consumer_pos
                  << ",\"unconsumed\":" << r.producer_pos - r.consumer_pos
                  << ",\"committed\":" << s.committed << ",\"discarded\":" << s.discarded
                  << ",\"bytes\":" << s.bytes << ",\"dropped\":" << s.dropped
                  << ",\"wakeups\":" << s.wakeups << pinned_json(r.nr_pinned, pinned) << "}\n";
    else
        std::cout << r.id << ": size " << r.data_size << ", unconsumed "
                  << r.producer_pos - r.consumer_pos << " bytes, committed " << s.committed
                  << ", discarded " << s.discarded << ", dropped " << s.dropped << ", wakeups "
                  << s.wakeups << ", cookie " << cookie << pinned_text(r.nr_pinned, pinned) << "\n";
}

void print_prog(const kring_prog_info& p, bool json) {
    std::string name = kring::field_string(p.name);
    std::string pinned = kring::field_string(p.pinned);
    auto attach = kring::attach_type_name(static_cast<kring_attach_type>(p.attach_type));
    std::string ring_ids;
    for (uint32_t i = 0; i < p.nr_rings && i < KRING_PROG_MAX_RINGS; i++) {
        if (i)
            ring_ids += ',';
        ring_ids += std::to_string(p.ring_ids[i]);
    }
    std::string map_ids;
    for (uint32_t i = 0; i < p.nr_maps && i < KRING_PROG_INFO_MAP_IDS; i++)
        map_ids += (i ? "," : "") + std::to_string(p.map_ids[i]);
    if (p.nr_maps > KRING_PROG_INFO_MAP_IDS)
        map_ids += ",..."; // nr_maps counts them all
    const bool jited = p.runtime == KRING_RUNTIME_JIT;
    if (json)
        std::cout << "{\"id\":" << p.id << ",\"name\":" << json_string(name)
                  << ",\"attach\":" << json_string(attach) << ",\"insns\":" << p.insn_cnt
                  << ",\"stack_depth\":" << p.stack_depth << ",\"runtime\":\""
                  << (jited ? "jit" : "interpreter") << "\",\"jited_len\":" << p.jited_len
                  << ",\"runs\":" << p.runs << ",\"misses\":" << p.misses << ",\"ring_ids\":["
                  << ring_ids << "],\"nr_maps\":" << p.nr_maps << ",\"map_ids\":["
                  << map_ids.substr(0, map_ids.find(",...")) << "]"
                  << pinned_json(p.nr_pinned, pinned) << "}\n";
    else
        std::cout << p.id << ": " << (name.empty() ? "(no name)" : name) << ", " << attach << ", "
                  << p.insn_cnt << " insns, stack " << p.stack_depth << " bytes, "
                  << (jited ? "JIT'd (" + std::to_string(p.jited_len) + " bytes)" : "interpreter")
                  << ", runs " << p.runs << ", misses " << p.misses << ", ring ids "
                  << (ring_ids.empty() ? "none" : ring_ids)
                  << (map_ids.empty() ? "" : ", map ids " + map_ids)
                  << pinned_text(p.nr_pinned, pinned) << "\n";
}

void print_link(const kring_link_info& l, const std::map<uint32_t, std::string>& prog_names,
                bool json) {
    auto type = static_cast<kring_attach_type>(l.attach_type);
    std::string target = kring::field_string(l.target);
    std::string pinned = kring::field_string(l.pinned);
    auto prog = prog_names.find(l.prog_id);
    std::string prog_name = prog == prog_names.end() ? "" : prog->second;
    if (json)
        std::cout << "{\"id\":" << l.id << ",\"prog_id\":" << l.prog_id
                  << ",\"prog_name\":" << json_string(prog_name)
                  << ",\"attach\":" << json_string(kring::attach_type_name(type))
                  << ",\"target\":" << json_string(target)
                  << (l.cookie ? ",\"cookie\":" + std::to_string(l.cookie) : "")
                  << pinned_json(l.nr_pinned, pinned) << "}\n";
    else
        std::cout << l.id << ": prog " << l.prog_id
                  << (prog_name.empty() ? "" : " (" + prog_name + ")") << ", "
                  << (kring::needs_target(type) ? std::string(kring::attach_type_name(type)) + " "
                                                : "tracepoint ")
                  << target << (l.cookie ? ", cookie " + std::to_string(l.cookie) : "")
                  << pinned_text(l.nr_pinned, pinned) << "\n";
}

// `kringctl KIND list [--json]`: the one subcommand each kind has.
int list_command(const std::string& kind, const std::vector<std::string>& args) {
    po::options_description opts("kringctl " + kind + " list: options");
    bool json = false;
    const std::string json_help = "one JSON object per " + kind + ", per line";
    opts.add_options()("help,h", "this help")("json", po::bool_switch(&json), json_help.c_str());
    std::vector<std::string> words;
    if (!parse_args(args, opts, &words, -1))
        return 0;
    if (words.size() != 1 || words[0] != "list")
        throw po::error("the subcommand is list: kringctl " + kind + " list [--json]");
    if (kind == "ring") {
        for (const kring_ring_info& r : kring::list_rings())
            print_ring(r, json);
    } else if (kind == "prog") {
        for (const kring_prog_info& p : kring::list_programs())
            print_prog(p, json);
    } else {
        std::map<uint32_t, std::string> prog_names;
        for (const kring_prog_info& p : kring::list_programs())
            prog_names[p.id] = kring::field_string(p.name);
        for (const kring_link_info& l : kring::list_links())
            print_link(l, prog_names, json);
    }
    return 0;
}

// PREFIX.NAME, or a usage error saying why it cannot be a name.
std::string pin_name(const std::string& prefix, const std::string& what, const std::string& name) {
    std::string full = prefix + "." + name;
    if (full.size() > KRING_NAME_MAX - 1)
        throw po::error("--pin " + prefix + ": " + what + " would be pinned as " + full + ", " +
                        std::to_string(full.size()) + " characters; names have at most " +
                        std::to_string(KRING_NAME_MAX - 1) + ": use a shorter prefix");
    for (char c : full)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            throw po::error("--pin " + prefix + ": " + what + " would be pinned as " + full +
                            ": names are made of A-Z, a-z, 0-9, '_', '.' and '-'");
    return full;
}

} // namespace

int ring_command(const std::vector<std::string>& args) {
    return list_command("ring", args);
}

int prog_command(const std::vector<std::string>& args) {
    return list_command("prog", args);
}

int link_command(const std::vector<std::string>& args) {
    return list_command("link", args);
}

RunPins plan_run_pins(const std::string& prefix, const kring::bpf::Object& obj,
                      const std::vector<std::string>& sections,
                      const std::map<std::string, std::string>& pinned_of_map) {
    RunPins plan;
    std::set<std::string> taken;
    auto claim = [&](const std::string& what, const std::string& name) {
        std::string full = pin_name(prefix, what, name);
        if (!taken.insert(full).second)
            throw po::error("--pin " + prefix + ": two objects would be pinned as " + full);
        return full;
    };
    for (const auto& prog : obj.programs)
        if (sections.empty() ||
            std::find(sections.begin(), sections.end(), prog.section) != sections.end())
            plan.link_names.push_back(claim("the link of program " + prog.name, prog.name));
    for (const auto& map : obj.maps)
        if (map.is_ring())
            plan.ring_names.push_back(
                pinned_of_map.count(map.name) ? "" : claim("ring " + map.name, map.name));
    return plan;
}

int pin_run(const RunPins& plan, const std::vector<kring::Link>& links,
            const std::vector<kring::Ring>& rings, bool json) {
    struct Pinned {
        std::string name;
        const char* kind;
    };
    std::vector<Pinned> pinned;
    try {
        for (size_t i = 0; i < links.size(); i++) {
            links[i].pin(plan.link_names.at(i));
            pinned.push_back({plan.link_names[i], "link"});
        }
        for (size_t i = 0; i < rings.size(); i++) {
            if (plan.ring_names.at(i).empty())
                continue; // a --ring MAP=NAME ring has its name
            rings[i].pin(plan.ring_names[i]);
            pinned.push_back({plan.ring_names[i], "ring"});
        }
    } catch (...) {
        // Nothing half-pinned: the links detach as this process exits.
        for (const Pinned& p : pinned) {
            try {
                kring::Ring::unpin(p.name);
            } catch (const kring::Error& e) {
                std::cerr << "kringctl run: undoing --pin: " << e.what() << "\n";
            }
        }
        throw;
    }
    std::string names;
    for (const Pinned& p : pinned) {
        if (json)
            std::cout << "{\"pinned\":" << json_string(p.name) << ",\"kind\":\"" << p.kind
                      << "\"}\n";
        else
            std::cout << "pinned " << p.kind << " " << p.name << "\n";
        names += " " + p.name;
    }
    std::cerr << "kringctl: the programs stay attached after this exits; kringctl unpin" << names
              << " detaches them and frees what only the names held\n";
    return 0;
}

} // namespace kringctl
