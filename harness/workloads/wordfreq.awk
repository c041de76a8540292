# Word frequencies, bigrams and per-line statistics of a prose file: associative arrays that grow to
# tens of thousands of keys, field splitting, regex substitution, sprintf and a sort by value.
# Output order is fixed (PROCINFO["sorted_in"]), so it does not depend on gawk's hash layout.
{
  lines++
  chars += length($0)
  line = tolower($0)
  gsub(/[^a-z0-9 ]+/, " ", line)
  n = split(line, w, / +/)
  for (i = 1; i <= n; i++) {
    if (w[i] == "") continue
    freq[w[i]]++
    if (prev != "") pair[prev " " w[i]]++
    prev = w[i]
    if (w[i] ~ /^[0-9]+$/) { numbers++; numsum += w[i] }
    len[length(w[i])]++
  }
  if ($0 ~ /\?$/) questions++
  if (NF == 0) { paragraphs++; prev = "" }
  key = substr($1, 1, 3)
  starts[key] = starts[key] sprintf("%d,", NR % 97)
}
END {
  printf "lines %d chars %d paragraphs %d questions %d numbers %d sum %d\n", lines, chars, paragraphs, questions, numbers, numsum
  PROCINFO["sorted_in"] = "@val_num_desc"
  k = 0
  for (x in freq) { if (++k > 200) break; printf "%s %d\n", x, freq[x] }
  k = 0
  for (x in pair) { if (++k > 200) break; printf "%s %d\n", x, pair[x] }
  PROCINFO["sorted_in"] = "@ind_num_asc"
  for (x in len) printf "len %d: %d\n", x, len[x]
  PROCINFO["sorted_in"] = "@ind_str_asc"
  for (x in starts) total += length(starts[x])
  printf "distinct words %d pairs %d starts %d total %d\n", length(freq), length(pair), length(starts), total
}
