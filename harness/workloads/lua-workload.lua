-- A CPU-heavy, deterministic Lua workload: the real-program test runs it on a plain lua and on a
-- cc-wb-built lua and demands byte-identical output. It leans on what exercises the interpreter's
-- pointer stores: the garbage collector (both modes), tables growing and rehashing, strings, closures
-- and upvalues, coroutines, metatables, sorting with a Lua comparator, the parser and load().
--
-- Nothing printed may depend on addresses, time or the per-run string hash seed: no tostring() of
-- tables/functions, no pairs() order over string keys without sorting, math.random seeded explicitly.

local fmt = string.format
local function emit(...) io.write(fmt(...), "\n") end

local scale = tonumber(arg and arg[1]) or 1
math.randomseed(20250520)

local function sorted_keys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  table.sort(ks, function(a, b)
    if type(a) == "boolean" and type(b) == "boolean" then return not a and b end
    if type(a) == type(b) then return a < b end
    return type(a) < type(b)
  end)
  return ks
end

local function checksum_str(s)
  local h = 0
  for i = 1, #s do h = (h * 31 + s:byte(i)) % 4294967311 end
  return h
end

-- 1. GC pressure: binary trees, allocated and dropped by the million, in both collector modes.
do
  local function bottom_up(d)
    if d == 0 then return {} end
    d = d - 1
    return { bottom_up(d), bottom_up(d) }
  end
  local function check(t)
    if t[1] then return 1 + check(t[1]) + check(t[2]) end
    return 1
  end
  for _, mode in ipairs({ "incremental", "generational" }) do
    collectgarbage(mode)
    local maxd = 13 + scale
    local long_lived = bottom_up(maxd)
    for d = 4, maxd, 2 do
      local iters = 1 << (maxd - d + 2)
      local sum = 0
      for _ = 1, iters do sum = sum + check(bottom_up(d)) end
      emit("%s trees of depth %d: %d nodes x %d", mode, d, sum // iters, iters)
    end
    emit("%s long lived tree: %d", mode, check(long_lived))
  end
  collectgarbage("incremental")
end

-- 2. Strings: building, patterns, gsub with functions, formatting, packing.
do
  local syll = { "ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "ze", "qua", "shi" }
  local words = {}
  for i = 1, 20000 * scale do
    local n = math.random(1, 4)
    local parts = {}
    for j = 1, n do parts[j] = syll[math.random(#syll)] end
    words[i] = table.concat(parts)
  end
  local text = table.concat(words, " ")
  emit("text length %d checksum %d", #text, checksum_str(text))

  local freq = {}
  for w in text:gmatch("%a+") do freq[w] = (freq[w] or 0) + 1 end
  local ks = sorted_keys(freq)
  table.sort(ks, function(a, b)
    if freq[a] ~= freq[b] then return freq[a] > freq[b] end
    return a < b
  end)
  for i = 1, 8 do emit("word %-12s %5d", ks[i], freq[ks[i]]) end
  emit("distinct words %d", #ks)

  local upper = text:gsub("(%a)(%a*)", function(a, rest) return a:upper() .. rest end)
  local vowels = select(2, text:gsub("[aeiou]", ""))
  local swapped = text:sub(1, 2000):gsub("(%w+) (%w+)", "%2 %1")
  emit("upper %d vowels %d swapped %d", checksum_str(upper), vowels, checksum_str(swapped))
  emit("find %s %s", tostring(text:find("quaqua", 1, true)), tostring(text:match("(shi%a-)ka")))

  local buf = {}
  for i = 1, 3000 * scale do
    buf[#buf + 1] = fmt("%5d|%-8s|%08.3f|%x|%q|%g|%s", i, words[i], i / 7, i * 2654435761 % 4294967296,
      words[i] .. "\n\0", i / 3, i % 3 == 0)
  end
  local formatted = table.concat(buf, "\n")
  emit("formatted %d bytes checksum %d", #formatted, checksum_str(formatted))
  emit("%s", buf[1234])

  local packed = {}
  for i = 1, 2000 do packed[i] = string.pack("<i4 d s1", i * 1000003 % 65536, i / 9, words[i]) end
  local all = table.concat(packed)
  local pos, total, fsum = 1, 0, 0.0
  while pos <= #all do
    local a, d, s
    a, d, s, pos = string.unpack("<i4 d s1", all, pos)
    total = total + a + #s
    fsum = fsum + d
  end
  emit("pack roundtrip %d %.6f", total, fsum)
  emit("rep %d %s", #string.rep("ab", 100000, ","), string.rep("xy", 3, "-"))
  local u = {}
  for i = 1, 500 do u[i] = utf8.char(0x41 + i % 26, 0x3b1 + i % 20, 0x4e00 + i) end
  local ustr = table.concat(u)
  local cps = 0
  for _, c in utf8.codes(ustr) do cps = cps + c end
  emit("utf8 len %d codepoints sum %d", utf8.len(ustr), cps)
end

-- 3. Closures and upvalues: counters, composition, memoisation, varargs.
do
  local function counter(step)
    local n = 0
    return function() n = n + step; return n end
  end
  local cs = {}
  for i = 1, 1000 do cs[i] = counter(i) end
  local s = 0
  for round = 1, 200 * scale do
    for i = 1, #cs, round % 7 + 1 do s = s + cs[i]() end
  end
  emit("counters %d", s)

  local function compose(f, g) return function(...) return f(g(...)) end end
  local f = function(x) return x end
  for i = 1, 200 do
    local k = i
    if i % 2 == 0 then f = compose(function(x) return x + k end, f) else f = compose(function(x) return x * 3 % 1000003 end, f) end
  end
  local acc = 0
  for i = 1, 5000 * scale do acc = (acc + f(i)) % 1000000007 end
  emit("composed %d", acc)

  local memo = setmetatable({}, { __mode = "k" })
  local function memoize(fn)
    local cache = {}
    memo[fn] = cache
    return function(n)
      local v = cache[n]
      if v == nil then v = fn(n); cache[n] = v end
      return v
    end
  end
  local fib
  fib = memoize(function(n) if n < 2 then return n end return (fib(n - 1) + fib(n - 2)) % 1000000007 end)
  emit("fib(90) %d fib(300) %d", fib(90), fib(300))

  local function va(...)
    local t = table.pack(...)
    local sum = 0
    for i = 1, t.n do sum = sum + (t[i] or 0) end
    return select("#", ...), sum, table.unpack(t, 1, math.min(t.n, 3))
  end
  local cnt, sum, a, b, c = va(1, nil, 3, nil, 5, 6)
  emit("varargs %d %d %s %s %s", cnt, sum, tostring(a), tostring(b), tostring(c))
end

-- 4. Coroutines: generators, a prime sieve pipeline, yields across pcall, errors inside coroutines.
do
  local function permgen(a, n)
    n = n or #a
    if n <= 1 then coroutine.yield(a) else
      for i = 1, n do
        a[n], a[i] = a[i], a[n]
        permgen(a, n - 1)
        a[n], a[i] = a[i], a[n]
      end
    end
  end
  local perms, sig = 0, 0
  for p in coroutine.wrap(function() permgen({ 1, 2, 3, 4, 5, 6, 7, 8 }) end) do
    perms = perms + 1
    sig = (sig * 7 + p[1] * 100 + p[8] * 10 + p[4]) % 1000000007
  end
  emit("permutations %d signature %d", perms, sig)

  local function gen(n)
    return coroutine.wrap(function() for i = 2, n do coroutine.yield(i) end end)
  end
  local function filter(p, g)
    return coroutine.wrap(function()
      for x in g do if x % p ~= 0 then coroutine.yield(x) end end
    end)
  end
  -- Each filter is a coroutine resuming the one before it; the chain is capped well below Lua's C-stack
  -- limit (LUAI_MAXCCALLS), and what passes the chain is finished by trial division.
  local found, last = {}, 0
  local g = gen(40000 * scale)
  while true do
    local p = g()
    if p == nil then break end
    local prime = true
    for i = 41, #found do
      local q = found[i]
      if q * q > p then break end
      if p % q == 0 then prime = false; break end
    end
    if prime then
      found[#found + 1], last = p, p
      if #found <= 40 then g = filter(p, g) end
    end
  end
  emit("primes %d last %d", #found, last)

  local co = coroutine.create(function(a)
    local ok, v = pcall(function()
      local x = coroutine.yield(a + 1)
      error({ code = x })
    end)
    coroutine.yield(ok, type(v) == "table" and v.code)
    return "done", coroutine.isyieldable(), coroutine.status(coroutine.running())
  end)
  local r = {}
  for _, v in ipairs({ 10, 20, 30 }) do
    local res = table.pack(coroutine.resume(co, v))
    for i = 1, res.n do r[#r + 1] = tostring(res[i]) end
  end
  emit("coroutine %s status %s", table.concat(r, ","), coroutine.status(co))
  local bad = coroutine.create(function() local t = nil; return t.x end)
  local ok, msg = coroutine.resume(bad)
  emit("coroutine error %s %s", tostring(ok), (msg:gsub("^.-:%d+: ", "")))

  -- Many live coroutines at once, each with its own stack, interleaved.
  local cos = {}
  for i = 1, 500 do
    cos[i] = coroutine.wrap(function()
      local t = {}
      for j = 1, 40 do t[j] = i * j; coroutine.yield(#t) end
      local s = 0
      for j = 1, #t do s = s + t[j] end
      return s
    end)
  end
  local total = 0
  for _ = 1, 41 do for i = 1, #cos do total = total + cos[i]() end end
  emit("interleaved coroutines %d", total)
end

-- 5. Sorting with comparators: records by several keys, big arrays, strings.
do
  local names = { "ada", "bob", "cy", "dee", "eve", "fay", "gus", "hal", "ivy", "jo" }
  local recs = {}
  for i = 1, 30000 * scale do
    recs[i] = { name = names[math.random(#names)] .. i % 97, age = math.random(18, 90), score = math.random() * 100, id = i }
  end
  table.sort(recs, function(a, b)
    if a.age ~= b.age then return a.age < b.age end
    if a.name ~= b.name then return a.name > b.name end
    return a.id < b.id
  end)
  local sig = 0
  for i = 1, #recs, 97 do sig = (sig * 31 + recs[i].id) % 1000000007 end
  emit("sorted records first %s/%d last %s/%d sig %d", recs[1].name, recs[1].age, recs[#recs].name, recs[#recs].age, sig)

  local nums = {}
  for i = 1, 100000 * scale do nums[i] = math.random(1, 1000000) end
  table.sort(nums, function(a, b) return a > b end)
  local ok = true
  for i = 2, #nums do if nums[i - 1] < nums[i] then ok = false end end
  emit("sorted numbers %s max %d min %d median %d", tostring(ok), nums[1], nums[#nums], nums[#nums // 2])

  local strs = {}
  for i = 1, 20000 do strs[i] = fmt("%x-%d", math.random(0, 0xffffff), i % 13) end
  table.sort(strs)
  emit("sorted strings %s %s %s", strs[1], strs[10000], strs[#strs])
end

-- 6. Metatables: operators, inheritance, proxies, __close, __gc, weak tables.
do
  local Vec = {}
  Vec.__index = Vec
  local function vec(x, y) return setmetatable({ x = x, y = y }, Vec) end
  Vec.__add = function(a, b) return vec(a.x + b.x, a.y + b.y) end
  Vec.__sub = function(a, b) return vec(a.x - b.x, a.y - b.y) end
  Vec.__mul = function(a, b)
    if type(a) == "number" then return vec(a * b.x, a * b.y) end
    if type(b) == "number" then return vec(a.x * b, a.y * b) end
    return a.x * b.x + a.y * b.y
  end
  Vec.__unm = function(a) return vec(-a.x, -a.y) end
  Vec.__eq = function(a, b) return a.x == b.x and a.y == b.y end
  Vec.__lt = function(a, b) return a:len2() < b:len2() end
  Vec.__le = function(a, b) return a:len2() <= b:len2() end
  Vec.__len = function(a) return math.sqrt(a:len2()) end
  Vec.__tostring = function(a) return fmt("(%g,%g)", a.x, a.y) end
  Vec.__concat = function(a, b) return tostring(a) .. tostring(b) end
  Vec.__call = function(a, k) return a[k] end
  function Vec:len2() return self.x * self.x + self.y * self.y end

  local acc = vec(0, 0)
  local vs = {}
  for i = 1, 50000 * scale do
    local v = vec(i % 17 - 8, i % 11 - 5)
    acc = acc + v * 2 - (-v)
    if i % 1000 == 0 then vs[#vs + 1] = v end
  end
  table.sort(vs, function(a, b) return a < b or (a <= b and a.x < b.x) end)
  emit("vectors %s dot %d len %.4f eq %s call %d concat %s", tostring(acc), acc * vec(1, 2), #acc,
    tostring(vec(1, 2) == vec(1, 2)), acc("x"), vs[1] .. vs[#vs])

  -- Inheritance three levels deep, method lookup through __index chains.
  local Base = { kind = "base" }
  Base.__index = Base
  function Base.new(cls, v) return setmetatable({ v = v }, cls) end
  function Base:value() return self.v end
  local Mid = setmetatable({ kind = "mid" }, Base)
  Mid.__index = Mid
  function Mid:value() return Base.value(self) * 2 end
  local Leaf = setmetatable({}, Mid)
  Leaf.__index = Leaf
  local total = 0
  for i = 1, 20000 do total = total + Base.new(i % 3 == 0 and Leaf or Mid, i):value() end
  emit("inheritance %d %s", total, Leaf.kind)

  -- A proxy that counts reads and writes and keeps a log, and a read-only view.
  local reads, writes = 0, 0
  local store = {}
  local proxy = setmetatable({}, {
    __index = function(_, k) reads = reads + 1; return store[k] end,
    __newindex = function(_, k, v) writes = writes + 1; store[k] = v end,
    __len = function() return #store end,
    __pairs = function() return next, store, nil end,
  })
  for i = 1, 30000 do proxy[i % 500 + 1] = (proxy[i % 500 + 1] or 0) + i end
  local s = 0
  for _, v in pairs(proxy) do s = s + v end
  local ro = setmetatable({}, { __index = store, __newindex = function() error("read-only", 2) end })
  local ok, err = pcall(function() ro[1] = 5 end)
  emit("proxy reads %d writes %d len %d sum %d readonly %s %s", reads, writes, #proxy, s, tostring(ok), (err:gsub("^.-:%d+: ", "")))

  -- To-be-closed variables and finalizers.
  local closed = {}
  do
    local function res(name)
      return setmetatable({}, { __close = function(_, e) closed[#closed + 1] = name .. (e and "!" or "") end })
    end
    for i = 1, 3 do
      local a <close> = res("a" .. i)
      local b <close> = res("b" .. i)
    end
    pcall(function()
      local c <close> = res("c")
      error("boom")
    end)
  end
  emit("closed %s", table.concat(closed, " "))

  local finalized = 0
  do
    for i = 1, 2000 do setmetatable({ i }, { __gc = function(o) finalized = finalized + o[1] end }) end
  end
  collectgarbage("collect")
  collectgarbage("collect")
  emit("finalized sum %d", finalized)

  local weak = setmetatable({}, { __mode = "v" })
  local keep = {}
  for i = 1, 1000 do
    local t = { i }
    weak[i] = t
    if i % 10 == 0 then keep[#keep + 1] = t end
  end
  collectgarbage("collect")
  local alive = 0
  for i = 1, 1000 do if weak[i] then alive = alive + 1 end end
  emit("weak values alive %d of 1000 (kept %d)", alive, #keep)
end

-- 7. Tables as hash maps and arrays: growth, rehash, removal, next(), integer/float keys.
do
  local t = {}
  for i = 1, 200000 * scale do t[(i * 7919) % 100003] = i end
  local count, sum = 0, 0
  for k, v in pairs(t) do count = count + 1; sum = (sum + k * v) % 1000000007 end
  for i = 1, 100003, 2 do t[i] = nil end
  local left = 0
  for _ in pairs(t) do left = left + 1 end
  emit("hash count %d sum %d left %d", count, sum, left)

  local mixed = {}
  for i = 1, 5000 do
    mixed[i] = i
    mixed[i + 0.5] = -i
    mixed["k" .. i] = i * 2
    mixed[i % 7 == 0 and true or false] = i
  end
  local ks = sorted_keys(mixed)
  emit("mixed keys %d first %s last %s", #ks, tostring(ks[1]), tostring(ks[#ks]))

  local arr = {}
  for i = 1, 20000 do table.insert(arr, (i * 31) % 1000) end
  for i = 1, 2000 * scale do table.remove(arr, (i * 13) % #arr + 1) end
  table.move(arr, 1, 1000, 5000)
  local s = 0
  for i = 1, #arr do s = (s + arr[i] * i) % 1000000007 end
  emit("array len %d sig %d concat %s", #arr, s, table.concat(arr, ",", 1, 8))
end

-- 8. The compiler: generate, load and run chunks; string.dump round trips; errors with tracebacks.
do
  local total = 0
  for i = 1, 1000 * scale do
    local src = fmt([[
      local a, b = ...
      local t = {}
      for i = 1, %d do t[i] = (a * i + b) %% %d end
      local function f(x) return x * %d + #t end
      local s = 0
      for _, v in ipairs(t) do s = s + f(v) end
      return s, "%s"
    ]], i % 50 + 10, i + 7, i, ("chunk" .. i))
    local fn = assert(load(src, "=gen" .. i))
    local s, name = fn(i, 3)
    total = (total + s + #name) % 1000000007
  end
  emit("generated chunks %d", total)
  local dumped = string.dump(function(x) local y = x * 2; return y + 1 end, true)
  emit("dump roundtrip %d", load(dumped, "dumped", "b")(20))
  local ok, tb = xpcall(function() local t = setmetatable({}, { __index = function() error("deep") end }); return t.x end,
    function(m) return debug.traceback(m, 1) end)
  local lines = 0
  for _ in tb:gmatch("\n") do lines = lines + 1 end
  emit("traceback ok=%s lines %d first %s", tostring(ok), lines, (tb:match("^[^\n]*"):gsub("^.-:%d+: ", "")))
  local errs = {}
  for _, bad in ipairs({ "return 1 +", "local x <const> = 1; x = 2", "goto nowhere", "return ('x'):rep(-1)..{}" }) do
    local f, e = load(bad, "=bad")
    if f then
      local ok2, e2 = pcall(f)
      errs[#errs + 1] = tostring(ok2) .. ":" .. tostring(e2):gsub("^.-:%d+: ", "")
    else
      errs[#errs + 1] = e:gsub("^.-:%d+: ", "")
    end
  end
  emit("errors %s", table.concat(errs, " | "))
end

-- 9. Numbers: integer and float arithmetic, bitwise ops, a Mandelbrot set.
do
  local h = 0
  for i = 1, 300000 * scale do
    h = (h ~ (i << 7) ~ (h >> 3)) & 0xffffffff
    h = (h * 1103515245 + 12345) % 2147483648
  end
  emit("integer mix %d %d %d", h, 7 // 2, -7 // 2)
  local inside = 0
  local n = 200 * scale
  for y = 0, n - 1 do
    local ci = 2 * y / n - 1
    for x = 0, n - 1 do
      local cr = 2.5 * x / n - 2
      local zr, zi, k = 0.0, 0.0, 0
      while k < 100 and zr * zr + zi * zi < 4 do
        zr, zi = zr * zr - zi * zi + cr, 2 * zr * zi + ci
        k = k + 1
      end
      if k == 100 then inside = inside + 1 end
    end
  end
  emit("mandelbrot %dx%d inside %d", n, n, inside)
  emit("floats %.14g %.14g %s %s %d", math.pi * 1e10, 1 / 3, tostring(0.1 + 0.2), tostring(2 ^ 53), math.tointeger(3.0))
  emit("math %s %s %d %s", tostring(math.huge), tostring(-math.huge), math.maxinteger // 1000, tostring(math.ult(1, -1)))
end

emit("done")
