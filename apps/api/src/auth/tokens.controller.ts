import { Body, Controller, Delete, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { idParam } from '../common/http/id.pipe';
import { SecretResponseFields } from '../common/http/idempotency.interceptor';
import { ListQuery, ListResponse, type PageResult, pageOf } from '../common/pagination/pagination';
import { currentRequest } from '../common/request-context';
import { RequireScope } from './auth.decorators';
import { CreateTokenInput } from './token.input';
import { CreatedTokenModel, TokenModel, toTokenModel } from './token.model';
import { TokensService } from './tokens.service';
import { Post } from '../common/http/idempotency.interceptor';

@ApiTags('tokens')
@ApiBearerAuth()
@RequireScope('admin')
@Controller('tokens')
export class TokensController {
  constructor(private readonly service: TokensService) {}

  @Get()
  @ApiOkResponse({ type: ListResponse(TokenModel) })
  async list(@Query() query: ListQuery): Promise<PageResult<TokenModel>> {
    const result = await this.service.list({ q: query.q }, pageOf(query));
    return { ...result, items: result.items.map(toTokenModel) };
  }

  @Get(':id')
  @ApiOkResponse({ type: TokenModel })
  async get(@Param('id', idParam()) id: string): Promise<TokenModel> {
    return toTokenModel(await this.service.get(id));
  }

  @Post()
  @SecretResponseFields('token')
  @ApiCreatedResponse({ type: CreatedTokenModel })
  async create(@Body() input: CreateTokenInput): Promise<CreatedTokenModel> {
    const { token, view } = await this.service.create(input, currentRequest().principal?.name);
    return { ...toTokenModel(view), token };
  }

  @Delete(':id')
  @ApiOkResponse({ type: TokenModel, description: 'Revokes the token (it stays listed, with revokedAt)' })
  async revoke(@Param('id', idParam()) id: string): Promise<TokenModel> {
    return toTokenModel(await this.service.revoke(id));
  }
}
