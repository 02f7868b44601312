// The portable BTF parser and struct walk (kmod/bpf/btf.c): the BTF of
// Debian's 6.1 and 6.12 kernels, compared with libbpf's reading of the same
// files; a small struct made here with every kind of member, each read's
// result and Linux's message; and malformed blobs (truncations, ids and
// names out of range, records past the section, cycles, huge arrays), which
// must be refused or answered with errors, never read out of bounds (the
// CI runs this under ASan and UBSan).
extern "C" {
#include "kbpf_btf.h"
}

#include <algorithm>
#include <bpf/btf.h>
#include <cerrno>
#include <cstring>
#include <doctest/doctest.h>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

struct KbpfBtfDeleter {
    void operator()(kbpf_btf* b) const { kbpf_btf_free(b); }
};
using KbpfBtfPtr = std::unique_ptr<kbpf_btf, KbpfBtfDeleter>;

struct LibbpfDeleter {
    void operator()(btf* b) const { btf__free(b); }
};
using LibbpfPtr = std::unique_ptr<btf, LibbpfDeleter>;

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in, "cannot read " << path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Parsed {
    int err;
    const char* why;
    KbpfBtfPtr btf;
};

Parsed parse(const std::vector<uint8_t>& blob) {
    kbpf_btf* out = nullptr;
    const char* why = nullptr;
    int err = kbpf_btf_parse(blob.data(), static_cast<uint32_t>(blob.size()), &out, &why);
    if (err)
        CHECK(out == nullptr);
    return {err, why, KbpfBtfPtr(out)};
}

KbpfBtfPtr parse_ok(const std::vector<uint8_t>& blob) {
    Parsed p = parse(blob);
    REQUIRE_MESSAGE(p.err == 0, (p.why ? p.why : "(no reason)"));
    return std::move(p.btf);
}

struct Walk {
    int ret;
    uint32_t next;
    std::string msg;
};

constexpr uint32_t kUntouched = 0xdeadbeef;

Walk walk(const kbpf_btf* b, uint32_t id, uint32_t off, uint32_t size) {
    char msg[256];
    uint32_t next = kUntouched;
    std::memset(msg, 'x', sizeof(msg));
    int ret = kbpf_btf_struct_walk(b, id, off, size, &next, msg, sizeof(msg));
    if (ret >= 0)
        CHECK(msg[0] == '\0');
    return {ret, next, ret < 0 ? std::string(msg) : std::string()};
}

void check_scalar(const kbpf_btf* b, uint32_t id, uint32_t off, uint32_t size) {
    Walk w = walk(b, id, off, size);
    INFO("off ", off, " size ", size, ": ", w.msg);
    CHECK(w.ret == KBPF_BTF_WALK_SCALAR);
    CHECK(w.next == kUntouched);
}

void check_ptr(const kbpf_btf* b, uint32_t id, uint32_t off, uint32_t size, uint32_t to) {
    Walk w = walk(b, id, off, size);
    INFO("off ", off, " size ", size, ": ", w.msg);
    CHECK(w.ret == KBPF_BTF_WALK_PTR);
    CHECK(w.next == to);
}

void check_refused(const kbpf_btf* b, uint32_t id, uint32_t off, uint32_t size, int err,
                   const std::string& msg) {
    Walk w = walk(b, id, off, size);
    INFO("off ", off, " size ", size);
    CHECK(w.ret == err);
    CHECK(w.msg == msg);
    CHECK(w.next == kUntouched);
}

// ---------------------------------------------------------------------------
// The kernels' BTF against libbpf.

const std::string kLinux61 = KERNEL_BTF_DIR "/linux-6.1.btf";
const std::string kLinux612 = KERNEL_BTF_DIR "/linux-6.12.btf";

// Member `name` of struct or union `id`, directly in it (not in its
// anonymous members).
struct Member {
    uint32_t bit_off;
    uint32_t bits;
    uint32_t type;
};

Member member(const btf* b, uint32_t id, const char* name) {
    const btf_type* t = btf__type_by_id(b, id);
    REQUIRE(btf_is_composite(t));
    for (uint16_t i = 0; i < btf_vlen(t); i++)
        if (!strcmp(btf__name_by_offset(b, btf_members(t)[i].name_off), name))
            return {btf_member_bit_offset(t, i), btf_member_bitfield_size(t, i),
                    btf_members(t)[i].type};
    FAIL("no member ", name, " in ", btf__name_by_offset(b, t->name_off));
    return {};
}

// libbpf's reading of what kbpf_btf_skip_modifiers() computes.
uint32_t libbpf_skip(const btf* b, uint32_t id, bool keep_typedefs) {
    for (const btf_type* t = btf__type_by_id(b, id);
         id && (btf_is_mod(t) || (!keep_typedefs && btf_is_typedef(t))); t = btf__type_by_id(b, id))
        id = t->type;
    return id;
}

std::string str(uint32_t v) {
    return std::to_string(v);
}

void check_kernel(const std::string& path) {
    INFO(path);
    std::vector<uint8_t> blob = read_file(path);
    KbpfBtfPtr kb = parse_ok(blob);
    LibbpfPtr lb(btf__parse_raw(path.c_str()));
    REQUIRE(lb);
    const kbpf_btf* k = kb.get();
    const btf* l = lb.get();

    // Every type, its name and kind; modifier chains.
    uint32_t nr = btf__type_cnt(l);
    REQUIRE(kbpf_btf_nr_types(k) == nr);
    CHECK(nr > 100000);
    CHECK(kbpf_btf_type(k, 0) == nullptr);
    CHECK(kbpf_btf_type(k, nr) == nullptr);
    CHECK(std::string(kbpf_btf_kind_str(k, 0)) == "UNKNOWN");
    CHECK(std::string(kbpf_btf_type_name(k, 0)).empty());
    size_t mismatches = 0;
    for (uint32_t id = 1; id < nr; id++) {
        const btf_type* kt = kbpf_btf_type(k, id);
        const btf_type* lt = btf__type_by_id(l, id);
        if (!kt || memcmp(kt, lt, sizeof(*kt)) ||
            strcmp(kbpf_btf_type_name(k, id), btf__name_by_offset(l, lt->name_off)) ||
            kbpf_btf_skip_modifiers(k, id, false) != libbpf_skip(l, id, false) ||
            kbpf_btf_skip_modifiers(k, id, true) != libbpf_skip(l, id, true) ||
            kbpf_btf_is_struct(k, id) !=
                btf_is_composite(btf__type_by_id(l, libbpf_skip(l, id, false))))
            mismatches++;
    }
    CHECK(mismatches == 0);

    // Lookups by name.
    uint32_t task = kbpf_btf_find(k, "task_struct", BTF_KIND_STRUCT);
    CHECK(task > 0);
    CHECK(static_cast<int>(task) == btf__find_by_name_kind(l, "task_struct", BTF_KIND_STRUCT));
    CHECK(std::string(kbpf_btf_kind_str(k, task)) == "STRUCT");
    CHECK(kbpf_btf_find(k, "task_struct", BTF_KIND_UNION) == 0);
    CHECK(kbpf_btf_find(k, "no_such_struct_anywhere", BTF_KIND_STRUCT) == 0);
    uint32_t pid_t_id = kbpf_btf_find(k, "pid_t", BTF_KIND_TYPEDEF);
    uint32_t int_id = kbpf_btf_find(k, "int", BTF_KIND_INT);
    CHECK(static_cast<int>(pid_t_id) == btf__find_by_name_kind(l, "pid_t", BTF_KIND_TYPEDEF));
    CHECK(static_cast<int>(int_id) == btf__find_by_name_kind(l, "int", BTF_KIND_INT));
    // pid_t -> __kernel_pid_t -> int
    CHECK(kbpf_btf_skip_modifiers(k, pid_t_id, false) == int_id);
    CHECK(kbpf_btf_skip_modifiers(k, pid_t_id, true) == pid_t_id);
    CHECK(std::string(kbpf_btf_kind_str(k, pid_t_id)) == "TYPEDEF");
    CHECK(std::string(kbpf_btf_kind_str(k, int_id)) == "INT");
    check_refused(k, pid_t_id, 0, 4, -EINVAL, "Type 'pid_t' is not a struct");

    // task_struct's members.
    const uint32_t task_size = btf__type_by_id(l, task)->size;
    const uint32_t parent = member(l, task, "real_parent").bit_off / 8;
    const uint32_t pid = member(l, task, "pid").bit_off / 8;
    const uint32_t comm = member(l, task, "comm").bit_off / 8;
    check_ptr(k, task, parent, 8, task);
    check_refused(k, task, parent, 4, -EACCES,
                  "cannot access ptr member real_parent with moff " + str(parent) +
                      " in struct task_struct with off " + str(parent) + " size 4");
    check_refused(k, task, parent + 4, 4, -EACCES,
                  "cannot access ptr member real_parent with moff " + str(parent) +
                      " in struct task_struct with off " + str(parent + 4) + " size 4");
    check_scalar(k, task, pid, 4);
    check_scalar(k, task, comm + 3, 1);
    check_scalar(k, task, comm + 8, 8); // char comm[16] read as scratch
    check_refused(k, task, comm + 12, 8, -EACCES,
                  "access beyond the end of member comm (mend:" + str(comm + 16) +
                      ") in struct task_struct with off " + str(comm + 12) + " size 8");
    check_refused(k, task, task_size - 4, 8, -EACCES,
                  "access beyond struct task_struct at off " + str(task_size - 4) + " size 8");
    check_refused(k, task, task_size, 1, -EACCES,
                  "access beyond struct task_struct at off " + str(task_size) + " size 1");

    // A nested struct: task->se.vruntime, and task->se itself (its first
    // member, load.weight, an unsigned long).
    Member se = member(l, task, "se");
    uint32_t se_id = libbpf_skip(l, se.type, false);
    uint32_t vruntime = member(l, se_id, "vruntime").bit_off / 8;
    check_scalar(k, task, se.bit_off / 8 + vruntime, 8);
    check_scalar(k, task, se.bit_off / 8, 8);

    // Anonymous members: skb->prev is in the struct in the union that
    // starts struct sk_buff; a pointer to struct sk_buff.
    uint32_t skb = kbpf_btf_find(k, "sk_buff", BTF_KIND_STRUCT);
    REQUIRE(skb);
    const btf_type* skb_t = btf__type_by_id(l, skb);
    const btf_member* first = btf_members(skb_t);
    REQUIRE((!first->name_off && btf_is_union(btf__type_by_id(l, first->type))));
    const btf_member* in_union = btf_members(btf__type_by_id(l, first->type));
    REQUIRE((!in_union->name_off && btf_is_struct(btf__type_by_id(l, in_union->type))));
    uint32_t prev = btf_member_bit_offset(skb_t, 0) / 8 +
                    btf_member_bit_offset(btf__type_by_id(l, first->type), 0) / 8 +
                    member(l, in_union->type, "prev").bit_off / 8;
    check_ptr(k, skb, prev, 8, skb);
    check_refused(k, skb, prev + 2, 2, -EACCES,
                  "cannot access ptr member prev with moff " + str(prev) + " in struct  with off " +
                      str(prev + 2) + " size 2");

    // 6.1's task_struct has an anonymous union of rcu_users (refcount_t, a
    // typedef of a struct of an atomic_t, a typedef of a struct of an int)
    // and rcu (struct rcu_head): 4 bytes are rcu_users' int. 8 bytes are
    // refused: rcu_users comes first and is 4 bytes, and Linux walks the
    // first member that overlaps the read. (6.12 has no such union.)
    const btf_type* tt = btf__type_by_id(l, task);
    std::optional<uint32_t> anon_union;
    for (uint16_t i = 0; i < btf_vlen(tt) && !anon_union; i++) {
        const btf_member* m = btf_members(tt) + i;
        const btf_type* mt = btf__type_by_id(l, m->type);
        if (!m->name_off && btf_is_union(mt) &&
            !strcmp(btf__name_by_offset(l, btf_members(mt)[0].name_off), "rcu_users"))
            anon_union = btf_member_bit_offset(tt, i) / 8;
    }
    CHECK(anon_union.has_value() == (path == kLinux61));
    if (anon_union) {
        check_scalar(k, task, *anon_union, 4);
        check_refused(k, task, *anon_union, 8, -EACCES,
                      "access beyond struct refcount_struct at off 0 size 8");
    }

    // A bitfield: the first one in task_struct, read whole from its first
    // byte is a number.
    std::optional<Member> bitfield;
    for (uint16_t i = 0; i < btf_vlen(tt) && !bitfield; i++)
        if (btf_member_bitfield_size(tt, i))
            bitfield = Member{btf_member_bit_offset(tt, i), btf_member_bitfield_size(tt, i), 0};
    REQUIRE(bitfield);
    uint32_t byte = bitfield->bit_off / 8;
    uint32_t size = 1;
    while ((byte + size) * 8 < bitfield->bit_off + bitfield->bits)
        size *= 2;
    check_scalar(k, task, byte, size);
}

TEST_CASE("Debian 6.1's BTF: parsed as libbpf parses it; task_struct walked as Linux walks it") {
    check_kernel(kLinux61);
}

TEST_CASE("Debian 6.12's BTF: parsed as libbpf parses it; task_struct walked as Linux walks it") {
    check_kernel(kLinux612);
}

// ---------------------------------------------------------------------------
// Blobs made here.

// A BTF blob, type by type: each add returns the new type's id.
class Builder {
public:
    struct Field {
        std::string name;
        uint32_t type;
        uint32_t bit_off;
        uint32_t bits = 0;
    };

    uint32_t next_id() const { return next_; }
    uint32_t name(const std::string& s) {
        if (s.empty())
            return 0;
        uint32_t off = static_cast<uint32_t>(strs_.size());
        strs_ += s;
        strs_ += '\0';
        return off;
    }
    // A record: its struct btf_type with the name at @name_off, then @extra.
    uint32_t raw(uint32_t name_off, uint32_t kind, uint32_t vlen, bool kflag, uint32_t size_type,
                 const std::vector<uint32_t>& extra = {}) {
        words_.push_back(name_off);
        words_.push_back(kind << 24 | vlen | (kflag ? 1U << 31 : 0));
        words_.push_back(size_type);
        words_.insert(words_.end(), extra.begin(), extra.end());
        return next_++;
    }
    uint32_t add(uint32_t kind, const std::string& n, uint32_t vlen, bool kflag, uint32_t size_type,
                 const std::vector<uint32_t>& extra = {}) {
        return raw(name(n), kind, vlen, kflag, size_type, extra);
    }
    uint32_t int_(const std::string& n, uint32_t size, bool is_signed = true) {
        return add(BTF_KIND_INT, n, 0, false, size,
                   {(is_signed ? BTF_INT_SIGNED << 24 : 0) | size * 8});
    }
    uint32_t ptr(uint32_t to) { return add(BTF_KIND_PTR, "", 0, false, to); }
    uint32_t const_(uint32_t to) { return add(BTF_KIND_CONST, "", 0, false, to); }
    uint32_t typedef_(const std::string& n, uint32_t to) {
        return add(BTF_KIND_TYPEDEF, n, 0, false, to);
    }
    uint32_t array(uint32_t elem, uint32_t index, uint32_t nelems) {
        return add(BTF_KIND_ARRAY, "", 0, false, 0, {elem, index, nelems});
    }
    uint32_t composite(uint32_t kind, const std::string& n, uint32_t size,
                       const std::vector<Field>& fields) {
        bool kflag = false;
        for (const Field& f : fields)
            kflag |= f.bits != 0;
        std::vector<uint32_t> extra;
        for (const Field& f : fields) {
            extra.push_back(name(f.name));
            extra.push_back(f.type);
            extra.push_back(kflag ? f.bits << 24 | f.bit_off : f.bit_off);
        }
        return add(kind, n, static_cast<uint32_t>(fields.size()), kflag, size, extra);
    }
    uint32_t struct_(const std::string& n, uint32_t size, const std::vector<Field>& fields) {
        return composite(BTF_KIND_STRUCT, n, size, fields);
    }
    uint32_t union_(const std::string& n, uint32_t size, const std::vector<Field>& fields) {
        return composite(BTF_KIND_UNION, n, size, fields);
    }

    uint32_t type_len() const { return static_cast<uint32_t>(words_.size() * 4); }
    uint32_t str_len() const { return static_cast<uint32_t>(strs_.size()); }

    // The blob, with the header's fields as given (default: consistent).
    std::vector<uint8_t> blob() const { return blob(header()); }
    btf_header header() const {
        btf_header h{};
        h.magic = BTF_MAGIC;
        h.version = BTF_VERSION;
        h.hdr_len = sizeof(h);
        h.type_off = 0;
        h.type_len = type_len();
        h.str_off = type_len();
        h.str_len = str_len();
        return h;
    }
    std::vector<uint8_t> blob(const btf_header& h) const {
        std::vector<uint8_t> out(sizeof(h) + type_len() + str_len());
        memcpy(out.data(), &h, sizeof(h));
        if (!words_.empty())
            memcpy(out.data() + sizeof(h), words_.data(), type_len());
        memcpy(out.data() + sizeof(h) + type_len(), strs_.data(), str_len());
        return out;
    }

private:
    std::vector<uint32_t> words_;
    std::string strs_{std::string(1, '\0')};
    uint32_t next_ = 1;
};

// The struct the walk tests read (offsets in bytes):
//   struct outer {
//       int i;                          0
//       struct inner *pi;               8
//       int *pint;                     16
//       struct inner nested;           24  (int a, b)
//       union u { int x; struct inner *p; } un;   32
//       int arr[4];                    40
//       struct inner grid[2][3];       56..104
//       unsigned int bf1:3, bf2:13;   104 (bits 832..848)
//       (a hole: 106..112)
//       const inner_t *pt;            112  (typedef struct inner inner_t)
//       void *pv;                     120
//       struct { int c, d; };         128
//       inner_t tdarr[2];             136..152
//       struct inner tail[];          152
//   };
struct Outer {
    Builder b;
    uint32_t int_id, inner, inner_t, u, anon, outer, flexint;

    Outer() {
        int_id = b.int_("int", 4);
        uint32_t uint_id = b.int_("unsigned int", 4, false);
        inner = b.struct_("inner", 8, {{"a", int_id, 0}, {"b", int_id, 32}});
        uint32_t pinner = b.ptr(inner);
        uint32_t pint = b.ptr(int_id);
        uint32_t arr = b.array(int_id, int_id, 4);
        uint32_t grid = b.array(b.array(inner, int_id, 3), int_id, 2);
        u = b.union_("u", 8, {{"x", int_id, 0}, {"p", pinner, 0}});
        inner_t = b.typedef_("inner_t", inner);
        uint32_t pt = b.ptr(b.const_(inner_t));
        uint32_t pv = b.ptr(0);
        uint32_t tail = b.array(inner, int_id, 0);
        anon = b.struct_("", 8, {{"c", int_id, 0}, {"d", int_id, 32}});
        uint32_t tdarr = b.array(inner_t, int_id, 2);
        outer = b.struct_("outer", 152,
                          {{"i", int_id, 0},
                           {"pi", pinner, 64},
                           {"pint", pint, 128},
                           {"nested", inner, 192},
                           {"un", u, 256},
                           {"arr", arr, 320},
                           {"grid", grid, 448},
                           {"bf1", uint_id, 832, 3},
                           {"bf2", uint_id, 835, 13},
                           {"pt", pt, 896},
                           {"pv", pv, 960},
                           {"", anon, 1024},
                           {"tdarr", tdarr, 1088},
                           {"tail", tail, 1216}});
        flexint =
            b.struct_("flexint", 4, {{"n", int_id, 0}, {"data", b.array(int_id, int_id, 0), 32}});
    }
};

TEST_CASE("a struct of every kind of member, walked as Linux walks it") {
    Outer o;
    std::vector<uint8_t> blob = o.b.blob();
    KbpfBtfPtr kb = parse_ok(blob);
    const kbpf_btf* k = kb.get();
    const uint32_t s = o.outer;

    // libbpf reads the blob as we do.
    LibbpfPtr lb(btf__new(blob.data(), static_cast<uint32_t>(blob.size())));
    REQUIRE(lb);
    CHECK(btf__type_cnt(lb.get()) == kbpf_btf_nr_types(k));
    CHECK(static_cast<int>(s) == btf__find_by_name_kind(lb.get(), "outer", BTF_KIND_STRUCT));
    CHECK(kbpf_btf_find(k, "outer", BTF_KIND_STRUCT) == s);
    CHECK(kbpf_btf_find(k, "inner_t", BTF_KIND_TYPEDEF) == o.inner_t);
    CHECK(kbpf_btf_is_struct(k, o.inner_t));
    CHECK(kbpf_btf_is_struct(k, o.u));
    CHECK(!kbpf_btf_is_struct(k, o.int_id));
    CHECK(!kbpf_btf_is_struct(k, 0));
    CHECK(std::string(kbpf_btf_kind_str(k, o.u)) == "UNION");
    CHECK(std::string(kbpf_btf_type_name(k, o.anon)).empty());
    CHECK(std::string(kbpf_btf_name(k, 1000000)).empty());

    SUBCASE("an int") {
        check_scalar(k, s, 0, 4);
        check_scalar(k, s, 2, 2);
        check_refused(
            k, s, 0, 8, -EACCES,
            "access beyond the end of member i (mend:4) in struct outer with off 0 size 8");
    }
    SUBCASE("pointers: to a struct, to an int") {
        check_ptr(k, s, 8, 8, o.inner);
        check_refused(k, s, 8, 4, -EACCES,
                      "cannot access ptr member pi with moff 8 in struct outer with off 8 size 4");
        check_refused(k, s, 12, 4, -EACCES,
                      "cannot access ptr member pi with moff 8 in struct outer with off 12 size 4");
        check_scalar(k, s, 16, 8);
        check_refused(
            k, s, 20, 4, -EACCES,
            "cannot access ptr member pint with moff 16 in struct outer with off 20 size 4");
        // Through a const and a typedef: the struct's own id.
        check_ptr(k, s, 112, 8, o.inner);
        check_scalar(k, s, 120, 8);
    }
    SUBCASE("a nested struct, a union, an anonymous struct") {
        check_scalar(k, s, 24, 4);
        check_scalar(k, s, 28, 4);
        check_refused(
            k, s, 24, 8, -EACCES,
            "access beyond the end of member a (mend:4) in struct inner with off 0 size 8");
        check_scalar(k, s, 32, 4);
        // The union's first member that overlaps the read decides.
        check_refused(k, s, 32, 8, -EACCES,
                      "access beyond the end of member x (mend:4) in struct u with off 0 size 8");
        check_scalar(k, s, 128, 4);
        check_scalar(k, s, 132, 4);
        check_scalar(k, s, 130, 2);
    }
    SUBCASE("an int array: elements, or bytes anywhere inside it") {
        check_scalar(k, s, 40, 4);
        check_scalar(k, s, 44, 8);
        check_scalar(k, s, 54, 2);
        check_refused(
            k, s, 52, 8, -EACCES,
            "access beyond the end of member arr (mend:56) in struct outer with off 52 size 8");
    }
    SUBCASE("a 2-D array of structs: the element the read starts in") {
        check_scalar(k, s, 56, 4);
        check_scalar(k, s, 88, 4); // grid[1][1].a
        check_scalar(k, s, 92, 4); // grid[1][1].b
        check_refused(k, s, 100, 8, -EACCES, "access beyond struct inner at off 4 size 8");
    }
    SUBCASE("an array of a typedef'd struct: Linux refuses a read at an element's start") {
        check_refused(k, s, 136, 4, -EINVAL, "Type 'inner_t' is not a struct");
        check_scalar(k, s, 140, 4);
        check_refused(k, s, 144, 4, -EINVAL, "Type 'inner_t' is not a struct");
    }
    SUBCASE("bitfields: whole, or refused") {
        check_scalar(k, s, 104, 1); // bf1 (bits 0..2 of byte 104)
        check_scalar(k, s, 104, 2);
        check_refused(k, s, 105, 1, -EINVAL, "struct outer doesn't have field at offset 105");
    }
    SUBCASE("a hole") {
        check_refused(k, s, 108, 4, -EINVAL, "struct outer doesn't have field at offset 108");
        check_refused(k, s, 106, 2, -EINVAL, "struct outer doesn't have field at offset 106");
    }
    SUBCASE("past the end: into the flexible array of structs, or refused") {
        check_scalar(k, s, 152, 4);  // tail[0].a
        check_scalar(k, s, 164, 4);  // tail[1].b
        check_scalar(k, s, 8004, 4); // tail[981].b
        check_refused(
            k, s, 160, 8, -EACCES,
            "access beyond the end of member a (mend:4) in struct inner with off 0 size 8");
        check_refused(k, s, 150, 4, -EACCES, "access beyond struct outer at off 150 size 4");
        check_refused(k, o.inner, 8, 4, -EACCES, "access beyond struct inner at off 8 size 4");
        check_refused(k, o.inner, 4, 8, -EACCES, "access beyond struct inner at off 4 size 8");
        // A flexible array of ints: anything past its start.
        check_scalar(k, o.flexint, 4, 8);
        check_scalar(k, o.flexint, 1000, 8);
        check_refused(k, o.flexint, 0, 8, -EACCES, "access beyond struct flexint at off 0 size 8");
    }
    SUBCASE("not a struct") {
        check_refused(k, o.int_id, 0, 4, -EINVAL, "Type 'int' is not a struct");
        check_refused(k, o.inner_t, 0, 4, -EINVAL, "Type 'inner_t' is not a struct");
        check_refused(k, 0, 0, 4, -EINVAL, "Type '' is not a struct");
        check_refused(k, 100000, 0, 4, -EINVAL, "Type '' is not a struct");
    }
    SUBCASE("a message cut to the buffer, or none") {
        char msg[8];
        uint32_t next = kUntouched;
        CHECK(kbpf_btf_struct_walk(k, o.int_id, 0, 4, &next, msg, sizeof(msg)) == -EINVAL);
        CHECK(std::string(msg) == "Type 'i");
        CHECK(kbpf_btf_struct_walk(k, o.int_id, 0, 4, &next, nullptr, 0) == -EINVAL);
    }
}

TEST_CASE("every kind parses, as libbpf reads it") {
    Builder b;
    uint32_t i = b.int_("int", 4);
    uint32_t p = b.ptr(i);
    b.array(i, i, 2);
    b.struct_("s", 4, {{"m", i, 0}});
    b.union_("un", 4, {{"m", i, 0}});
    uint32_t e = b.add(BTF_KIND_ENUM, "e", 2, false, 4, {b.name("A"), 0, b.name("B"), 1});
    b.add(BTF_KIND_FWD, "f", 0, false, 0);
    uint32_t td = b.typedef_("t", i);
    b.add(BTF_KIND_VOLATILE, "", 0, false, i);
    b.const_(p);
    b.add(BTF_KIND_RESTRICT, "", 0, false, p);
    uint32_t proto = b.add(BTF_KIND_FUNC_PROTO, "", 2, false, i, {b.name("x"), i, 0, td});
    uint32_t fn = b.add(BTF_KIND_FUNC, "fn", 0, false, proto);
    uint32_t var = b.add(BTF_KIND_VAR, "v", 0, false, i, {1});
    b.add(BTF_KIND_DATASEC, ".data", 1, false, 4, {var, 0, 4});
    b.add(BTF_KIND_FLOAT, "float", 0, false, 4);
    b.add(BTF_KIND_DECL_TAG, "tag", 0, false, fn, {static_cast<uint32_t>(-1)});
    b.add(BTF_KIND_TYPE_TAG, "user", 0, false, i);
    b.add(BTF_KIND_ENUM64, "e64", 1, false, 8, {b.name("C"), 1, 2});
    std::vector<uint8_t> blob = b.blob();
    KbpfBtfPtr kb = parse_ok(blob);
    LibbpfPtr lb(btf__new(blob.data(), static_cast<uint32_t>(blob.size())));
    REQUIRE(lb);
    REQUIRE(kbpf_btf_nr_types(kb.get()) == btf__type_cnt(lb.get()));
    const char* kinds[] = {"UNKNOWN", "INT",      "PTR",        "ARRAY",    "STRUCT",
                           "UNION",   "ENUM",     "FWD",        "TYPEDEF",  "VOLATILE",
                           "CONST",   "RESTRICT", "FUNC_PROTO", "FUNC",     "VAR",
                           "DATASEC", "FLOAT",    "DECL_TAG",   "TYPE_TAG", "ENUM64"};
    for (uint32_t id = 1; id < kbpf_btf_nr_types(kb.get()); id++) {
        const btf_type* lt = btf__type_by_id(lb.get(), id);
        CHECK(memcmp(kbpf_btf_type(kb.get(), id), lt, sizeof(*lt)) == 0);
        CHECK(std::string(kbpf_btf_type_name(kb.get(), id)) ==
              btf__name_by_offset(lb.get(), lt->name_off));
        CHECK(std::string(kbpf_btf_kind_str(kb.get(), id)) == kinds[id]);
    }
    CHECK(kbpf_btf_find(kb.get(), "e", BTF_KIND_ENUM) == e);
    // The volatile, const, restrict and type tag chains.
    CHECK(kbpf_btf_skip_modifiers(kb.get(), 9, false) == i);
    CHECK(kbpf_btf_skip_modifiers(kb.get(), 10, false) == p);
    CHECK(kbpf_btf_skip_modifiers(kb.get(), 18, true) == i);
}

// ---------------------------------------------------------------------------
// Malformed blobs.

void check_malformed(const std::vector<uint8_t>& blob, const char* why_part = nullptr) {
    Parsed p = parse(blob);
    CHECK(p.err == -EINVAL);
    REQUIRE(p.why != nullptr);
    if (why_part)
        CHECK_MESSAGE(strstr(p.why, why_part) != nullptr, p.why);
}

// A check of one bad type: each call builds a blob of an int and what
// @add adds, and expects it refused for a reason naming @why_part.
auto malformed_after_int(const char* why_part) {
    return [why_part](auto add) {
        Builder b;
        b.int_("int", 4);
        add(b);
        check_malformed(b.blob(), why_part);
    };
}

TEST_CASE("truncated at every length: refused") {
    Outer o;
    std::vector<uint8_t> blob = o.b.blob();
    for (size_t len = 0; len < blob.size(); len++) {
        INFO("length ", len);
        // Exactly len bytes on the heap: ASan sees any read past them.
        std::vector<uint8_t> cut(blob.begin(), blob.begin() + static_cast<long>(len));
        cut.shrink_to_fit();
        check_malformed(cut);
    }
    kbpf_btf* out = reinterpret_cast<kbpf_btf*>(1);
    const char* why = nullptr;
    CHECK(kbpf_btf_parse(nullptr, 0, &out, &why) == -EINVAL);
    CHECK(out == nullptr);
}

TEST_CASE("the type section cut at every length, the header saying so: refused or whole records") {
    Outer o;
    btf_header full = o.b.header();
    std::vector<uint8_t> blob = o.b.blob();
    // The ends of the records: walk them as the parser must.
    std::vector<uint32_t> ends;
    for (uint32_t pos = 0; pos < full.type_len;) {
        btf_type t;
        memcpy(&t, blob.data() + sizeof(full) + pos, sizeof(t));
        uint32_t vlen = BTF_INFO_VLEN(t.info), kind = BTF_INFO_KIND(t.info);
        uint32_t extra = kind == BTF_KIND_INT                                ? 4
                         : kind == BTF_KIND_ARRAY                            ? 12
                         : kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION ? 12 * vlen
                                                                             : 0;
        pos += 12 + extra;
        ends.push_back(pos);
    }
    for (uint32_t len = 0; len < full.type_len; len++) {
        INFO("type_len ", len);
        btf_header h = full;
        h.type_len = len;
        h.str_off = len;
        std::vector<uint8_t> cut(sizeof(h) + len + full.str_len);
        memcpy(cut.data(), &h, sizeof(h));
        memcpy(cut.data() + sizeof(h), blob.data() + sizeof(h), len);
        memcpy(cut.data() + sizeof(h) + len, blob.data() + sizeof(h) + full.type_len, full.str_len);
        Parsed p = parse(cut);
        bool whole = len == 0 || std::find(ends.begin(), ends.end(), len) != ends.end();
        if (!whole) {
            CHECK(p.err == -EINVAL);
            continue;
        }
        // Whole records: accepted unless one names a type cut off.
        CHECK((p.err == 0 || p.err == -EINVAL));
        if (p.err)
            continue;
        for (uint32_t id = 1; id < kbpf_btf_nr_types(p.btf.get()); id++)
            for (uint32_t off = 0; off < 160; off += 4)
                walk(p.btf.get(), id, off, 4);
    }
}

TEST_CASE("malformed headers and sections") {
    Builder b;
    b.struct_("s", 4, {{"m", b.int_("int", 4), 0}});
    const btf_header good = b.header();
    REQUIRE(parse(b.blob(good)).err == 0);
    btf_header h;

    h = good;
    h.magic = 0x9feb;
    check_malformed(b.blob(h), "magic");
    h = good;
    h.version = 2;
    check_malformed(b.blob(h), "version");
    h = good;
    h.hdr_len = sizeof(h) - 1;
    check_malformed(b.blob(h), "header length");
    h = good;
    h.hdr_len = 1000;
    check_malformed(b.blob(h), "header length");
    h = good;
    h.type_len += 4;
    check_malformed(b.blob(h), "overlap");
    h = good;
    h.type_len += good.str_len + 4;
    check_malformed(b.blob(h), "type section");
    h = good;
    h.str_len += 1;
    check_malformed(b.blob(h), "string section");
    h = good;
    h.str_off = 0xffffffff;
    check_malformed(b.blob(h), "string section");
    h = good;
    h.type_off = 0xfffffffc;
    check_malformed(b.blob(h), "type section");
    h = good;
    h.str_off -= 4;
    h.str_len = 8;
    check_malformed(b.blob(h), "overlap");
    h = good;
    h.str_len = 0;
    check_malformed(b.blob(h), "string section");
    h = good;
    h.str_off += 1;
    h.str_len -= 1;
    check_malformed(b.blob(h), "string section");
    h = good;
    h.str_len -= 1;
    check_malformed(b.blob(h), "string section");
    {
        // A type section not 4-byte aligned: the strings first, then the types.
        std::vector<uint8_t> blob = b.blob(good);
        std::vector<uint8_t> types(blob.begin() + sizeof(h),
                                   blob.begin() + sizeof(h) + good.type_len);
        std::vector<uint8_t> strs(blob.begin() + sizeof(h) + good.type_len, blob.end());
        std::vector<uint8_t> moved = strs;
        moved.insert(moved.end(), types.begin(), types.end());
        h = good;
        h.str_off = 0;
        h.type_off = good.str_len;
        blob.resize(sizeof(h));
        memcpy(blob.data(), &h, sizeof(h));
        blob.insert(blob.end(), moved.begin(), moved.end());
        check_malformed(blob, good.str_len % 4 ? "aligned" : nullptr);
    }
    {
        // A longer header: its unknown fields must be zero.
        std::vector<uint8_t> blob = b.blob(good);
        h = good;
        h.hdr_len = sizeof(h) + 4;
        memcpy(blob.data(), &h, sizeof(h));
        blob.insert(blob.begin() + sizeof(h), {0, 0, 0, 0});
        CHECK(parse(blob).err == 0);
        blob[sizeof(h)] = 1;
        check_malformed(blob, "header");
    }
    {
        // The data misaligned in memory.
        std::vector<uint8_t> blob = b.blob(good);
        std::vector<uint8_t> shifted(blob.size() + 1);
        memcpy(shifted.data() + 1, blob.data(), blob.size());
        kbpf_btf* out = nullptr;
        const char* why = nullptr;
        CHECK(kbpf_btf_parse(shifted.data() + 1, static_cast<uint32_t>(blob.size()), &out, &why) ==
              -EINVAL);
        CHECK(out == nullptr);
        REQUIRE(why);
        CHECK(strstr(why, "aligned"));
    }
    {
        // No types at all: only void.
        Builder empty;
        std::vector<uint8_t> blob = empty.blob();
        KbpfBtfPtr kb = parse_ok(blob);
        CHECK(kbpf_btf_nr_types(kb.get()) == 1);
        CHECK(kbpf_btf_find(kb.get(), "int", BTF_KIND_INT) == 0);
    }
}

TEST_CASE("records naming types and strings that do not exist, or longer than the section") {
    SUBCASE("a member's type id out of range") {
        Builder b;
        uint32_t i = b.int_("int", 4);
        b.struct_("s", 8, {{"a", i, 0}, {"b", 3, 32}}); // 3 == nr_types
        check_malformed(b.blob(), "type id");
    }
    SUBCASE("the last id is in range") {
        Builder b;
        uint32_t i = b.int_("int", 4);
        b.struct_("s", 8, {{"a", i, 0}, {"b", 2, 32}});
        CHECK(parse(b.blob()).err == 0);
    }
    SUBCASE("each kind's ids") {
        auto one = malformed_after_int("type id");
        const uint32_t bad = 100;
        one([&](Builder& b) { b.ptr(bad); });
        one([&](Builder& b) { b.typedef_("t", bad); });
        one([&](Builder& b) { b.const_(bad); });
        one([&](Builder& b) { b.add(BTF_KIND_VOLATILE, "", 0, false, bad); });
        one([&](Builder& b) { b.add(BTF_KIND_RESTRICT, "", 0, false, bad); });
        one([&](Builder& b) { b.add(BTF_KIND_TYPE_TAG, "x", 0, false, bad); });
        one([&](Builder& b) { b.add(BTF_KIND_FUNC, "f", 0, false, bad); });
        one([&](Builder& b) { b.add(BTF_KIND_VAR, "v", 0, false, bad, {0}); });
        one([&](Builder& b) { b.add(BTF_KIND_DECL_TAG, "d", 0, false, bad, {0}); });
        one([&](Builder& b) { b.array(bad, 1, 2); });
        one([&](Builder& b) { b.array(1, bad, 2); });
        one([&](Builder& b) { b.union_("u", 4, {{"m", bad, 0}}); });
        one([&](Builder& b) { b.add(BTF_KIND_FUNC_PROTO, "", 0, false, bad); });
        one([&](Builder& b) { b.add(BTF_KIND_FUNC_PROTO, "", 1, false, 1, {0, bad}); });
        one([&](Builder& b) { b.add(BTF_KIND_DATASEC, ".d", 1, false, 4, {bad, 0, 4}); });
    }
    SUBCASE("names out of range") {
        auto one = malformed_after_int("string");
        const uint32_t bad = 1000;
        one([&](Builder& b) { b.raw(bad, BTF_KIND_STRUCT, 0, false, 0); });
        one([&](Builder& b) { b.raw(b.str_len(), BTF_KIND_STRUCT, 0, false, 0); });
        one([&](Builder& b) { b.add(BTF_KIND_STRUCT, "s", 1, false, 4, {bad, 1, 0}); });
        one([&](Builder& b) { b.add(BTF_KIND_ENUM, "e", 1, false, 4, {bad, 0}); });
        one([&](Builder& b) { b.add(BTF_KIND_ENUM64, "e", 1, false, 8, {bad, 0, 0}); });
        one([&](Builder& b) { b.add(BTF_KIND_FUNC_PROTO, "", 1, false, 1, {bad, 1}); });
    }
    SUBCASE("vlen: the members run past the type section") {
        Builder b;
        uint32_t i = b.int_("int", 4);
        // Says 2 members, has 1: the record ends 12 bytes past the section.
        b.add(BTF_KIND_STRUCT, "s", 2, false, 8, {b.name("a"), i, 0});
        check_malformed(b.blob(), "cut short");
        Builder c;
        c.add(BTF_KIND_STRUCT, "s", 0xffff, false, 8);
        check_malformed(c.blob(), "cut short");
    }
    SUBCASE("unknown kinds") {
        Builder b;
        b.raw(0, BTF_KIND_UNKN, 0, false, 0);
        check_malformed(b.blob(), "kind");
        Builder c;
        c.raw(0, 20, 0, false, 0);
        check_malformed(c.blob(), "kind");
    }
}

TEST_CASE("cycles and sizes past u32: errors, not loops") {
    Builder b;
    uint32_t i = b.int_("int", 4);
    // const -> const -> the first const.
    uint32_t c1 = b.next_id();
    b.const_(c1 + 1);
    b.const_(c1);
    // typedef -> itself.
    uint32_t td = b.next_id();
    b.typedef_("loop_t", td);
    // An array of itself, directly and through a typedef.
    uint32_t a1 = b.next_id();
    b.array(a1, i, 2);
    uint32_t a2 = b.next_id();
    b.array(a2 + 1, i, 2);
    b.typedef_("arr_t", a2);
    // Arrays whose sizes overflow u32: in the product of the lengths, and
    // in the length times the element's size.
    uint32_t huge_n = b.array(b.array(i, i, 4), i, 0x40000001);
    uint32_t huge_size = b.array(i, i, 0x40000000);
    uint32_t fits = b.array(i, i, 0x3fffffff);
    // 32 consts in a row to int: skipped; 33: not.
    uint32_t chain32 = i;
    for (int n = 0; n < 32; n++)
        chain32 = b.const_(chain32);
    uint32_t chain33 = b.const_(chain32);
    // Each in a struct of its own: a walk stops at the first member before
    // the read that has no size, as Linux's does.
    auto holder = [&](const char* name, uint32_t type) {
        return b.struct_(name, 64, {{"m", type, 0}, {"after", i, 32}});
    };
    uint32_t s_cycle = holder("s_cycle", c1);
    uint32_t s_td = holder("s_td", td);
    uint32_t s_arr = holder("s_arr", a1);
    uint32_t s_arr_t = holder("s_arr_t", a2);
    uint32_t s_huge_n = holder("s_huge_n", huge_n);
    uint32_t s_huge_size = holder("s_huge_size", huge_size);
    uint32_t s_chain32 = holder("s_chain32", chain32);
    uint32_t s_chain33 = holder("s_chain33", chain33);
    uint32_t s_ptr = holder("s_ptr", b.ptr(c1));
    uint32_t s_fits = b.struct_("s_fits", 64, {{"m", fits, 0}});
    // A struct of itself; one whose flexible array is of itself, at 0.
    uint32_t self = b.next_id();
    b.struct_("self", 4, {{"me", self, 0}});
    uint32_t flex_arr = b.array(b.next_id() + 1, i, 0);
    uint32_t flex_self = b.struct_("flex_self", 4, {{"x", i, 0}, {"tail", flex_arr, 0}});
    REQUIRE(flex_self == flex_arr + 1);
    // A struct whose last member's type is a cycle, read past its end.
    uint32_t last_cycle = b.struct_("last_cycle", 4, {{"m", c1, 0}});

    // (The blob outlives the parsed BTF, which reads it in place.)
    std::vector<uint8_t> blob = b.blob();
    KbpfBtfPtr kb = parse_ok(blob);
    const kbpf_btf* k = kb.get();

    CHECK(kbpf_btf_skip_modifiers(k, c1, false) == 0);
    CHECK(kbpf_btf_skip_modifiers(k, c1, true) == 0);
    CHECK(kbpf_btf_skip_modifiers(k, td, false) == 0);
    CHECK(kbpf_btf_skip_modifiers(k, td, true) == td);
    CHECK(!kbpf_btf_is_struct(k, c1));
    CHECK(kbpf_btf_skip_modifiers(k, chain32, false) == i);
    CHECK(kbpf_btf_skip_modifiers(k, chain33, false) == 0);

    for (uint32_t off : {0U, 4U}) {
        INFO("off ", off);
        check_refused(k, s_cycle, off, 4, -EFAULT, "field m doesn't have size");
        check_refused(k, s_td, off, 4, -EFAULT, "field m doesn't have size");
        check_refused(k, s_arr, off, 4, -EFAULT, "field m doesn't have size");
        check_refused(k, s_arr_t, off, 4, -EFAULT, "field m doesn't have size");
        check_refused(k, s_huge_n, off, 4, -EFAULT, "field m doesn't have size");
        check_refused(k, s_huge_size, off, 4, -EFAULT, "field m doesn't have size");
        // Linux resolves sizes through 32 links (MAX_RESOLVE_DEPTH), the
        // type itself included: 32 consts and the int are too many.
        check_refused(k, s_chain32, off, 4, -EFAULT, "field m doesn't have size");
        check_refused(k, s_chain33, off, 4, -EFAULT, "field m doesn't have size");
    }
    // A pointer to a cycle points to no struct: a number.
    check_scalar(k, s_ptr, 0, 8);
    // 0x3fffffff ints fit in u32 bytes; the struct's size bounds the read.
    check_scalar(k, s_fits, 40, 4);
    check_refused(k, s_fits, 60, 8, -EACCES, "access beyond struct s_fits at off 60 size 8");

    check_refused(k, self, 0, 4, -E2BIG, "struct self nests structs more than 32 deep");
    check_refused(k, flex_self, 0, 8, -E2BIG, "struct flex_self nests structs more than 32 deep");
    check_refused(k, last_cycle, 0, 8, -EACCES, "access beyond struct last_cycle at off 0 size 8");
}

TEST_CASE("parsing Linux's BTF is fast") {
    std::vector<uint8_t> blob = read_file(kLinux612);
    for (int n = 0; n < 20; n++)
        parse_ok(blob);
}

} // namespace
