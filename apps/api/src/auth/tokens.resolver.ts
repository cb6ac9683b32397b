import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { idParam } from '../common/http/id.pipe';
import { ConnectionArgs, connectionPage, toConnection } from '../common/pagination/pagination';
import { currentRequest } from '../common/request-context';
import { RequireScope } from './auth.decorators';
import { CreateTokenInput } from './token.input';
import { CreatedTokenModel, TokenConnection, TokenModel, toTokenModel } from './token.model';
import { TokensService } from './tokens.service';

@Resolver(() => TokenModel)
@RequireScope('admin')
export class TokensResolver {
  constructor(private readonly service: TokensService) {}

  @Query(() => TokenConnection)
  async apiTokens(@Args() args: ConnectionArgs): Promise<TokenConnection> {
    return toConnection(await this.service.list({ q: args.q }, connectionPage(args)), toTokenModel);
  }

  @Mutation(() => CreatedTokenModel)
  async createApiToken(@Args('input') input: CreateTokenInput): Promise<CreatedTokenModel> {
    const { token, view } = await this.service.create(input, currentRequest().principal?.name);
    return { ...toTokenModel(view), token };
  }

  @Mutation(() => TokenModel)
  async revokeApiToken(@Args('id', { type: () => ID }, idParam()) id: string): Promise<TokenModel> {
    return toTokenModel(await this.service.revoke(id));
  }
}
