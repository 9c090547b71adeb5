"""Supabase's database advisor rules, as queries written from their documented
definitions. Each query returns one row per finding (empty = the rule passes)."""

from __future__ import annotations

RULES: dict[str, str] = {
    # A foreign key whose columns do not lead any index: joins and cascades scan.
    "unindexed_foreign_keys": """
        select c.conrelid::regclass::text, c.conname
        from pg_constraint c join pg_namespace n on n.oid = c.connamespace
        where c.contype = 'f' and n.nspname = 'public'
          and not exists (
            select 1 from pg_index i
            where i.indrelid = c.conrelid
              and (i.indkey::int2[])[0:array_length(c.conkey, 1) - 1] = c.conkey)
    """,
    # auth.uid()/auth.jwt()/current_setting() in a policy without (select ...):
    # evaluated once per row instead of once per statement.
    "auth_rls_initplan": """
        select schemaname || '.' || tablename, policyname from pg_policies
        where schemaname = 'public' and (
          (coalesce(qual, '') || ' ' || coalesce(with_check, '')) ~* '(auth\\.(uid|jwt|role)\\(\\)|current_setting\\()'
          and (coalesce(qual, '') || ' ' || coalesce(with_check, ''))
              !~* 'select\\s+(auth\\.(uid|jwt|role)\\(\\)|current_setting\\()')
    """,
    # More than one permissive policy for the same role and command.
    "multiple_permissive_policies": """
        select schemaname || '.' || tablename, role || ':' || cmd
        from (
          select p.schemaname, p.tablename, r.role,
                 unnest(case when p.cmd = 'ALL'
                        then array['SELECT', 'INSERT', 'UPDATE', 'DELETE'] else array[p.cmd] end) cmd
          from pg_policies p, unnest(p.roles) r(role)
          where p.schemaname = 'public' and p.permissive = 'PERMISSIVE') x
        group by 1, 2 having count(*) > 1
    """,
    "rls_disabled_in_public": """
        select c.relname, '' from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity
    """,
    "policy_exists_rls_disabled": """
        select distinct p.tablename, '' from pg_policies p
        join pg_class c on c.relname = p.tablename
        join pg_namespace n on n.oid = c.relnamespace and n.nspname = p.schemaname
        where p.schemaname = 'public' and not c.relrowsecurity
    """,
    "rls_enabled_no_policy": """
        select c.relname, '' from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'r' and c.relrowsecurity
          and not exists (select 1 from pg_policy p where p.polrelid = c.oid)
    """,
    # Functions (ours: public and private) without a fixed search_path.
    "function_search_path_mutable": """
        select n.nspname || '.' || p.proname, '' from pg_proc p
        join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('public', 'private') and p.prokind = 'f'
          and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c
                          where c like 'search_path=%')
    """,
    # security definer functions callable through the API (exposed schemas).
    "security_definer_function_executable": """
        select n.nspname || '.' || p.proname, r.rolname from pg_proc p
        join pg_namespace n on n.oid = p.pronamespace
        cross join (values ('anon'), ('authenticated')) r(rolname)
        where n.nspname in ('public', 'graphql_public') and p.prosecdef
          and has_function_privilege(r.rolname, p.oid, 'execute')
    """,
    "extension_in_public": """
        select e.extname, '' from pg_extension e join pg_namespace n on n.oid = e.extnamespace
        where n.nspname = 'public'
    """,
    # A permissive write policy that lets everything through.
    "rls_policy_always_true": """
        select schemaname || '.' || tablename, policyname from pg_policies
        where schemaname = 'public' and permissive = 'PERMISSIVE'
          and cmd in ('INSERT', 'UPDATE', 'DELETE', 'ALL')
          and (lower(coalesce(qual, '')) = 'true' or lower(coalesce(with_check, '')) = 'true')
    """,
    "duplicate_index": """
        select i.indrelid::regclass::text, string_agg(i.indexrelid::regclass::text, ',')
        from pg_index i join pg_class c on c.oid = i.indrelid
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public'
        group by i.indrelid, i.indkey::text, i.indclass::text,
                 coalesce(pg_get_expr(i.indexprs, i.indrelid), ''),
                 coalesce(pg_get_expr(i.indpred, i.indrelid), '')
        having count(*) > 1
    """,
}

# A deliberately bad object per rule, to prove each query can find something.
BAD = {
    "unindexed_foreign_keys": """
        create table public.lint_parent (id uuid primary key);
        create table public.lint_child (id uuid primary key, parent_id uuid
          references public.lint_parent (id));
    """,
    "auth_rls_initplan": """
        create table public.lint_t (id uuid primary key, owner uuid);
        alter table public.lint_t enable row level security;
        create policy lint_p on public.lint_t for select to authenticated
          using (owner = auth.uid());
    """,
    "multiple_permissive_policies": """
        create table public.lint_t (id uuid primary key);
        alter table public.lint_t enable row level security;
        create policy a on public.lint_t for select to authenticated using (id is not null);
        create policy b on public.lint_t for select to authenticated using (id is null);
    """,
    "rls_disabled_in_public": "create table public.lint_t (id uuid primary key);",
    "policy_exists_rls_disabled": """
        create table public.lint_t (id uuid primary key);
        create policy a on public.lint_t for select to authenticated using (id is not null);
    """,
    "rls_enabled_no_policy": """
        create table public.lint_t (id uuid primary key);
        alter table public.lint_t enable row level security;
    """,
    "function_search_path_mutable": "create function public.lint_f() returns int language sql as 'select 1';",
    "security_definer_function_executable": "create function public.lint_f() returns int language sql security definer "
    "set search_path = '' as 'select 1';",
    "extension_in_public": "create extension vector with schema public;",
    "rls_policy_always_true": """
        create table public.lint_t (id uuid primary key);
        alter table public.lint_t enable row level security;
        create policy a on public.lint_t for update to authenticated using (true);
    """,
    "duplicate_index": """
        create table public.lint_t (id uuid primary key, a int);
        create index lint_a1 on public.lint_t (a);
        create index lint_a2 on public.lint_t (a);
    """,
}
