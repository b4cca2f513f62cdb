# cmake -DIN=FILE -DOUT=FILE -P PcCrlf.cmake: copies IN to OUT with CRLF line ends (for windmc,
# which keeps the line ends of its input in the messages, where Windows expects CRLF).
file(READ "${IN}" text)
string(REPLACE "\r\n" "\n" text "${text}")
string(REPLACE "\n" "\r\n" text "${text}")
file(WRITE "${OUT}" "${text}")
