#include "limits/cluster/resp_command.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <string>
#include <string_view>
#include <vector>

namespace slotgate::limits {
namespace {

// What hiredis itself puts on the wire for the same argv (the function our formatting replaces).
std::string hiredisWire(const std::vector<std::string_view>& argv) {
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (std::string_view a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  char* cmd = nullptr;
  const long long n =
      redisFormatCommandArgv(&cmd, static_cast<int>(argv.size()), args.data(), lens.data());
  std::string out(cmd, static_cast<size_t>(n));
  redisFreeCommand(cmd);
  return out;
}

TEST(RespCommand, WritesArrayOfBulkStrings) {
  RespBuffer out;
  const std::vector<std::string_view> argv{"GET", "key"};
  appendRespCommand(out, argv);
  EXPECT_EQ(out.view(), "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n");
}

TEST(RespCommand, MatchesHiredisForTheAdmissionScriptsShape) {
  const std::string sha(40, 'a');
  const std::vector<std::string_view> argv{"EVALSHA",
                                           sha,
                                           "3",
                                           "slotgate:slots:{client-a}",
                                           "slotgate:slots:{openai}",
                                           "slotgate:probe:{openai}",
                                           "30000",
                                           "lease-1",
                                           "10",
                                           "lease-2",
                                           "1000",
                                           "1",
                                           "60000"};
  RespBuffer out;
  appendRespCommand(out, argv);
  EXPECT_EQ(out.view(), hiredisWire(argv));
}

TEST(RespCommand, BinarySafeEmptyAndLongArguments) {
  const std::string nul("a\0b\r\nc", 6);
  const std::string long_arg(100000, 'x');
  const std::vector<std::string_view> argv{"SET", nul, "", long_arg};
  RespBuffer out;
  appendRespCommand(out, argv);
  EXPECT_EQ(out.view(), hiredisWire(argv));
  EXPECT_EQ(out.view().substr(0, 17), std::string("*4\r\n$3\r\nSET\r\n$6\r\n"));
}

TEST(RespCommand, AppendsAfterWhatTheBufferHolds) {
  RespBuffer out;
  const std::vector<std::string_view> argv{"PING"};
  appendRespCommand(out, argv);
  appendRespCommand(out, argv);
  EXPECT_EQ(out.view(), "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n");
}

TEST(RespWriter, ArgumentsOfPiecesAndNumbersAreOneBulkStringEach) {
  RespBuffer out;
  {
    RespWriter w(out);
    w.begin(5);
    w.arg("EVALSHA");
    w.arg("slotgate:", "slots:", "client-a");
    w.arg("inst:0:", 18446744073709551615ull);
    w.arg(uint64_t{0});
    w.arg("");
  }
  const std::vector<std::string_view> argv{"EVALSHA", "slotgate:slots:client-a",
                                           "inst:0:18446744073709551615", "0", ""};
  EXPECT_EQ(out.view(), hiredisWire(argv));
}

TEST(RespWriter, ReusedBufferHoldsOnlyTheNewCommand) {
  RespBuffer out;
  const std::string long_arg(5000, 'y');
  for (int i = 0; i < 3; ++i) {
    out.clear();
    RespWriter w(out);
    w.begin(2);
    w.arg("SET");
    const std::string_view value = i == 1 ? std::string_view(long_arg) : std::string_view("k");
    w.arg(value);
    const std::vector<std::string_view> argv{"SET", value};
    EXPECT_EQ(out.view(), hiredisWire(argv));
  }
}

TEST(RespBuffer, TruncateDropsWhatWasWrittenAfterAMark) {
  RespBuffer out;
  const std::vector<std::string_view> get{"GET", "k"};
  appendRespCommand(out, get);
  const size_t mark = out.size();
  const std::string long_arg(3000, 'z');
  const std::vector<std::string_view> set{"SET", "k", long_arg};
  appendRespCommand(out, set);
  out.truncate(mark);
  appendRespCommand(out, get);
  EXPECT_EQ(out.view(), hiredisWire(get) + hiredisWire(get));
}

TEST(RespWriter, PreformattedArgumentsAndTwoDigitNumbers) {
  const std::string_view head_args[] = {"EVALSHA", "0123456789"};
  const std::string head = formatArgs(head_args);
  RespBuffer out;
  {
    RespWriter w(out);
    w.begin(6);
    w.raw(head);
    w.arg(uint64_t{9});
    w.arg(uint64_t{10});
    w.arg(uint64_t{99});
    w.arg("p:", uint64_t{100});
  }
  const std::vector<std::string_view> argv{"EVALSHA", "0123456789", "9", "10", "99", "p:100"};
  EXPECT_EQ(out.view(), hiredisWire(argv));
}

}  // namespace
}  // namespace slotgate::limits
