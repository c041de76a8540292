# Records as a report generator would see them: a custom field separator, numeric conversion,
# printf formatting and string building over every line.
BEGIN { FS = "[ .?]+" }
{
  for (i = 1; i <= NF; i++) {
    h = 0
    for (j = 1; j <= length($i) && j <= 6; j++) h = (h * 31 + index("abcdefghijklmnopqrstuvwxyz", substr($i, j, 1))) % 65521
    bucket[h % 509] += NF
  }
  out = sprintf("%05d:%-10.10s|%3d", NR % 100000, $2, NF)
  if (length(out) != 20) odd++
  acc = (acc * 7 + length(out) + NF) % 1000003
}
END {
  for (b = 0; b < 509; b++) s = (s * 131 + bucket[b]) % 1000000007
  printf "acc %d buckets %d odd %d\n", acc, s, odd
}
