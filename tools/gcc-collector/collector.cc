// SPDX-License-Identifier: GPL-2.0
/*
 * plugsched-nx boundary collector: a GCC plugin loaded into the kernel's own
 * build of the scheduler translation units. For every function with a body
 * and every file-scope variable it records where the definition really is
 * (rt.c inside build_policy.c, or a header), its linkage and section, and
 * what it calls, whose address it takes, which variables it uses and which
 * struct fields it touches. One JSON file per translation unit; the format is
 * plugins/plugsched/src/boundary/collector-format.ts.
 *
 * The pass runs right after "*free_lang_data", before any inlining, so calls
 * are the ones written in the source.
 *
 * Arguments: -fplugin-arg-collector-out=DIR  -fplugin-arg-collector-srctree=DIR
 *            -fplugin-arg-collector-only=UNIT[:UNIT...]  (record only these units)
 */
/* Standard headers first: GCC's system.h poisons some of their names. */
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>
#include <unistd.h>

#include "gcc-plugin.h"
#include "plugin-version.h"
#include "tree.h"
#include "tree-pass.h"
#include "context.h"
#include "function.h"
#include "basic-block.h"
#include "gimple.h"
#include "gimple-iterator.h"
#include "gimple-walk.h"
#include "cgraph.h"
#include "stringpool.h"
#include "attribs.h"
#include "diagnostic-core.h"
#include "langhooks.h"


int plugin_is_GPL_compatible;

static std::string out_dir;
static std::string srctree;
/* Translation units to record (relative to srctree); empty = every unit. */
static std::set<std::string> only_units;
/* Set when the pass ran: a preprocessing-only run (genksyms' gcc -E) must not overwrite real output. */
static bool pass_ran;

struct pos {
	int line = 0;
	int column = 0;
	long offset = -1;
};

struct field_access {
	std::string st, field;
	bool operator<(const field_access &o) const
	{
		return st != o.st ? st < o.st : field < o.field;
	}
};

struct function_fact {
	std::string name, file, linkage, section;
	bool weak = false, is_inline = false, always_inline = false;
	bool init = false, from_macro = false, has_section = false;
	pos name_loc, body_start, body_end;
	std::set<std::string> calls, address_taken, var_refs;
	std::set<field_access> fields;
};

struct variable_fact {
	std::string name, file, linkage, section;
	bool weak = false, per_cpu = false, from_macro = false;
	bool defined = false, has_section = false;
	pos name_loc;
	std::set<std::string> address_taken;
};

/* Line start offsets of each source file, read once. */
static std::map<std::string, std::vector<long> > line_starts;

static const std::vector<long> &lines_of(const std::string &path)
{
	auto it = line_starts.find(path);

	if (it != line_starts.end())
		return it->second;
	std::vector<long> starts;
	std::ifstream in(path, std::ios::binary);

	starts.push_back(0);
	if (in) {
		std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

		for (size_t i = 0; i < data.size(); i++)
			if (data[i] == '\n')
				starts.push_back((long)i + 1);
	}
	return line_starts.emplace(path, starts).first->second;
}

/* Absolute, symlink-free path; the original when it cannot be resolved. */
static std::string real_path(const char *file)
{
	char buf[PATH_MAX];

	if (file && realpath(file, buf))
		return buf;
	return file ? file : "";
}

/* Path relative to the source tree (paths outside it are kept as they are). */
static std::string tree_relative(const std::string &abs)
{
	if (!srctree.empty() && abs.compare(0, srctree.size(), srctree) == 0 &&
	    abs.size() > srctree.size() && abs[srctree.size()] == '/')
		return abs.substr(srctree.size() + 1);
	return abs;
}

/*
 * A location as (file, line, column, byte offset). Locations inside macro
 * expansions resolve to the outermost expansion point in the real file.
 */
static pos resolve(location_t loc, std::string *file, bool *from_macro)
{
	pos p;

	if (from_macro)
		*from_macro = linemap_location_from_macro_expansion_p(line_table, loc);
	loc = linemap_resolve_location(line_table, loc, LRK_MACRO_EXPANSION_POINT, NULL);
	expanded_location x = expand_location(loc);
	std::string abs = real_path(x.file);

	if (file)
		*file = tree_relative(abs);
	p.line = x.line;
	p.column = x.column;
	const std::vector<long> &starts = lines_of(abs);

	if (x.line >= 1 && (size_t)x.line <= starts.size() && x.column >= 1)
		p.offset = starts[x.line - 1] + x.column - 1;
	return p;
}

static std::string decl_name(tree decl)
{
	tree id = DECL_NAME(decl);

	return id ? IDENTIFIER_POINTER(id) : "";
}

static std::string section_of(tree decl, bool *has)
{
	const char *s = DECL_SECTION_NAME(decl);

	*has = s != NULL;
	return s ? s : "";
}

static bool file_scope_var(tree t)
{
	if (TREE_CODE(t) != VAR_DECL)
		return false;
	if (!TREE_STATIC(t) && !DECL_EXTERNAL(t))
		return false;
	tree ctx = DECL_CONTEXT(t);

	return !ctx || TREE_CODE(ctx) == TRANSLATION_UNIT_DECL;
}

static std::string aggregate_name(tree type)
{
	tree name = TYPE_NAME(type);

	if (name && TREE_CODE(name) == TYPE_DECL)
		name = DECL_NAME(name);
	if (name && TREE_CODE(name) == IDENTIFIER_NODE)
		return IDENTIFIER_POINTER(name);
	return "<anon>";
}

static std::map<std::string, function_fact> functions; /* key: name + '\0' + file */
static std::map<std::string, variable_fact> variables;

static void note_variable(tree var)
{
	std::string name = decl_name(var);

	if (name.empty())
		return;
	std::string file;
	bool from_macro = false;
	pos p = resolve(DECL_SOURCE_LOCATION(var), &file, &from_macro);
	std::string key = name + '\0' + file;
	auto it = variables.find(key);

	if (it == variables.end()) {
		variable_fact v;

		v.name = name;
		v.file = file;
		v.linkage = TREE_PUBLIC(var) ? "global" : "static";
		v.weak = DECL_WEAK(var);
		v.section = section_of(var, &v.has_section);
		v.per_cpu = v.has_section && v.section.compare(0, 13, ".data..percpu") == 0;
		v.from_macro = from_macro;
		v.name_loc = p;
		it = variables.emplace(key, v).first;
	}
	if (!DECL_EXTERNAL(var))
		it->second.defined = true;
}

struct walk_ctx {
	function_fact *fn;
	tree callee_addr; /* the ADDR_EXPR in callee position, not an address-take */
};

static tree walk_operand(tree *tp, int *walk_subtrees, void *data)
{
	walk_stmt_info *wi = (walk_stmt_info *)data;
	walk_ctx *ctx = (walk_ctx *)wi->info;
	tree t = *tp;

	switch (TREE_CODE(t)) {
	case ADDR_EXPR:
		if (TREE_CODE(TREE_OPERAND(t, 0)) == FUNCTION_DECL) {
			if (t != ctx->callee_addr)
				ctx->fn->address_taken.insert(decl_name(TREE_OPERAND(t, 0)));
			*walk_subtrees = 0;
		}
		break;
	case FUNCTION_DECL:
		if (t != ctx->callee_addr)
			ctx->fn->address_taken.insert(decl_name(t));
		*walk_subtrees = 0;
		break;
	case VAR_DECL:
		if (file_scope_var(t)) {
			ctx->fn->var_refs.insert(decl_name(t));
			note_variable(t);
		}
		*walk_subtrees = 0;
		break;
	case COMPONENT_REF: {
		tree field = TREE_OPERAND(t, 1);

		if (TREE_CODE(field) == FIELD_DECL && DECL_NAME(field) && DECL_CONTEXT(field))
			ctx->fn->fields.insert({ aggregate_name(DECL_CONTEXT(field)), decl_name(field) });
		break;
	}
	default:
		break;
	}
	return NULL_TREE;
}

static void collect_function(cgraph_node *node)
{
	tree decl = node->decl;
	function *fun = DECL_STRUCT_FUNCTION(decl);
	std::string name = decl_name(decl);

	if (!fun || name.empty() || DECL_ARTIFICIAL(decl))
		return;
	function_fact f;

	f.name = name;
	f.name_loc = resolve(DECL_SOURCE_LOCATION(decl), &f.file, &f.from_macro);
	f.body_start = resolve(fun->function_start_locus, NULL, NULL);
	f.body_end = resolve(fun->function_end_locus, NULL, NULL);
	if (f.body_end.offset >= 0) { /* just after the closing brace */
		f.body_end.offset++;
		f.body_end.column++;
	}
	f.linkage = TREE_PUBLIC(decl) ? "global" : "static";
	f.weak = DECL_WEAK(decl);
	f.is_inline = DECL_DECLARED_INLINE_P(decl);
	f.always_inline = lookup_attribute("always_inline", DECL_ATTRIBUTES(decl)) != NULL_TREE;
	f.section = section_of(decl, &f.has_section);
	f.init = f.has_section && (f.section.compare(0, 5, ".init") == 0 || f.section.compare(0, 5, ".exit") == 0);

	basic_block bb;

	FOR_EACH_BB_FN(bb, fun) {
		for (gimple_stmt_iterator gsi = gsi_start_bb(bb); !gsi_end_p(gsi); gsi_next(&gsi)) {
			gimple *stmt = gsi_stmt(gsi);
			walk_ctx ctx = { &f, NULL_TREE };

			if (is_gimple_call(stmt)) {
				tree callee = gimple_call_fndecl(stmt);

				if (callee && !fndecl_built_in_p(callee))
					f.calls.insert(decl_name(callee));
				ctx.callee_addr = gimple_call_fn(stmt);
			}
			walk_stmt_info wi;

			memset(&wi, 0, sizeof(wi));
			wi.info = &ctx;
			walk_gimple_op(stmt, walk_operand, &wi);
		}
	}
	functions[f.name + '\0' + f.file] = f;
}

static tree walk_initializer(tree *tp, int *walk_subtrees, void *data)
{
	variable_fact *v = (variable_fact *)data;
	tree t = *tp;

	if (TREE_CODE(t) == FUNCTION_DECL) {
		v->address_taken.insert(decl_name(t));
		*walk_subtrees = 0;
	} else if (TYPE_P(t) || DECL_P(t)) {
		*walk_subtrees = 0;
	}
	return NULL_TREE;
}

static void collect_variable(varpool_node *node)
{
	tree decl = node->decl;

	if (!file_scope_var(decl) || decl_name(decl).empty() || DECL_ARTIFICIAL(decl))
		return;
	note_variable(decl);
	std::string file;
	resolve(DECL_SOURCE_LOCATION(decl), &file, NULL);
	variable_fact &v = variables[decl_name(decl) + '\0' + file];

	if (DECL_INITIAL(decl) && DECL_INITIAL(decl) != error_mark_node)
		walk_tree_without_duplicates(&DECL_INITIAL(decl), walk_initializer, &v);
}

/* ---- JSON output (keys in a fixed order, lists sorted) ---- */

static std::string quote(const std::string &s)
{
	std::string o = "\"";

	for (unsigned char c : s) {
		if (c == '"' || c == '\\') {
			o += '\\';
			o += c;
		} else if (c < 0x20) {
			char buf[8];

			snprintf(buf, sizeof(buf), "\\u%04x", c);
			o += buf;
		} else {
			o += c;
		}
	}
	return o + "\"";
}

static std::string json_pos(const pos &p)
{
	std::ostringstream o;

	o << "{\"line\":" << p.line << ",\"column\":" << p.column << ",\"offset\":" << p.offset << "}";
	return o.str();
}

static std::string json_list(const std::set<std::string> &s)
{
	std::string o = "[";
	bool first = true;

	for (const std::string &x : s) {
		if (x.empty())
			continue;
		o += (first ? "" : ",") + quote(x);
		first = false;
	}
	return o + "]";
}

static const char *json_bool(bool b)
{
	return b ? "true" : "false";
}

static std::string json_section(bool has, const std::string &s)
{
	return has ? quote(s) : "null";
}

static void write_output(void *, void *)
{
	std::string unit = tree_relative(real_path(main_input_filename));

	if (!pass_ran || seen_error())
		return;
	if (!only_units.empty() && !only_units.count(unit))
		return;
	std::string name = unit;

	for (char &c : name)
		if (c == '/')
			c = '_';
	std::ostringstream o;

	o << "{\"format\":1,\"unit\":" << quote(unit) << ",\"functions\":[";
	bool first = true;

	for (const auto &kv : functions) {
		const function_fact &f = kv.second;

		o << (first ? "\n" : ",\n") << "{\"name\":" << quote(f.name) << ",\"file\":" << quote(f.file)
		  << ",\"linkage\":" << quote(f.linkage) << ",\"weak\":" << json_bool(f.weak)
		  << ",\"inline\":" << json_bool(f.is_inline) << ",\"alwaysInline\":" << json_bool(f.always_inline)
		  << ",\"section\":" << json_section(f.has_section, f.section) << ",\"init\":" << json_bool(f.init)
		  << ",\"fromMacro\":" << json_bool(f.from_macro) << ",\"name_loc\":" << json_pos(f.name_loc)
		  << ",\"body\":{\"start\":" << json_pos(f.body_start) << ",\"end\":" << json_pos(f.body_end) << "}"
		  << ",\"calls\":" << json_list(f.calls) << ",\"addressTaken\":" << json_list(f.address_taken)
		  << ",\"varRefs\":" << json_list(f.var_refs) << ",\"fieldAccesses\":[";
		bool ff = true;

		for (const field_access &a : f.fields) {
			o << (ff ? "" : ",") << "{\"struct\":" << quote(a.st) << ",\"field\":" << quote(a.field) << "}";
			ff = false;
		}
		o << "]}";
		first = false;
	}
	o << "\n],\"variables\":[";
	first = true;
	for (const auto &kv : variables) {
		const variable_fact &v = kv.second;

		o << (first ? "\n" : ",\n") << "{\"name\":" << quote(v.name) << ",\"file\":" << quote(v.file)
		  << ",\"linkage\":" << quote(v.linkage) << ",\"weak\":" << json_bool(v.weak)
		  << ",\"perCpu\":" << json_bool(v.per_cpu) << ",\"section\":" << json_section(v.has_section, v.section)
		  << ",\"fromMacro\":" << json_bool(v.from_macro) << ",\"name_loc\":" << json_pos(v.name_loc)
		  << ",\"defined\":" << json_bool(v.defined) << ",\"addressTaken\":" << json_list(v.address_taken) << "}";
		first = false;
	}
	o << "\n]}\n";

	std::string path = out_dir + "/" + name + ".json";
	std::string tmp = path + ".tmp." + std::to_string(getpid());
	std::ofstream f(tmp, std::ios::binary);

	f << o.str();
	f.close();
	if (!f || rename(tmp.c_str(), path.c_str()) != 0)
		error("collector: cannot write %s: %m", path.c_str());
}

/* ---- the pass ---- */

static const pass_data collector_pass_data = {
	SIMPLE_IPA_PASS, "plugsched_collector", OPTGROUP_NONE, TV_NONE,
	PROP_gimple_any, 0, 0, 0, 0,
};

class collector_pass : public simple_ipa_opt_pass {
public:
	collector_pass(gcc::context *ctx) : simple_ipa_opt_pass(collector_pass_data, ctx) {}

	unsigned int execute(function *) final override
	{
		cgraph_node *node;
		varpool_node *vnode;

		pass_ran = true;
		FOR_EACH_FUNCTION_WITH_GIMPLE_BODY(node)
			collect_function(node);
		FOR_EACH_VARIABLE(vnode)
			collect_variable(vnode);
		return 0;
	}
};

int plugin_init(struct plugin_name_args *info, struct plugin_gcc_version *version)
{
	if (!plugin_default_version_check(version, &gcc_version)) {
		error("collector: built for GCC %s, loaded into %s", gcc_version.basever, version->basever);
		return 1;
	}
	for (int i = 0; i < info->argc; i++) {
		if (!strcmp(info->argv[i].key, "out") && info->argv[i].value)
			out_dir = info->argv[i].value;
		else if (!strcmp(info->argv[i].key, "srctree") && info->argv[i].value)
			srctree = real_path(info->argv[i].value);
		else if (!strcmp(info->argv[i].key, "only") && info->argv[i].value) {
			std::stringstream list(info->argv[i].value);
			std::string unit;

			while (std::getline(list, unit, ':'))
				if (!unit.empty())
					only_units.insert(unit);
		}
		else
			error("collector: unknown argument %s", info->argv[i].key);
	}
	if (out_dir.empty()) {
		error("collector: the plugin argument %<out=DIR%> is required (%s)", info->base_name);
		return 1;
	}

	struct register_pass_info pass;

	pass.pass = new collector_pass(g);
	pass.reference_pass_name = "*free_lang_data";
	pass.ref_pass_instance_number = 1;
	pass.pos_op = PASS_POS_INSERT_AFTER;
	register_callback(info->base_name, PLUGIN_PASS_MANAGER_SETUP, NULL, &pass);
	register_callback(info->base_name, PLUGIN_FINISH, write_output, NULL);
	return 0;
}
